import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { appViteConfig } from '../../zendesk-app/build/app-vite-config.js';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { startHarness } from '../../zendesk-app/harness/harness.server.js';
import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type BackgroundAlertResult = {
  /** Intake sent → Zendesk's notification (notify) shown by the app's background instance in the harness. */
  intakeToNotification: Latency;
  /** Baseline: intake sent → the gateway's notify-app call reaching the harness's Zendesk API (server side only). */
  intakeToNotifyApp: Latency;
  failures: number;
  failureSamples: string[];
};

const API = { email: 'bench@harness.local', apiToken: 'bench-harness-zendesk-token' };
const APP_ID = 1;
const AGENT = { id: 381, name: 'Ada Lovelace', email: 'ada@example.com', role: 'agent', locale: 'en-US' };

let counter = 0;

/**
 * Intake → Zendesk notification in a background instance: the built app in the harness (one agent, one
 * background instance, on another ticket) in headless Chromium against gateway A, the account's Zendesk
 * connection pointing at the harness's Zendesk API (notify-app reaches the page's instances as
 * `api_notification.cheqpoint_changed`). Each sample creates an approval any agent may decide and
 * times it from sending the intake to the toast appearing in the page (wall clocks of one machine).
 */
export async function backgroundAlertPhase(ctx: BenchContext): Promise<BackgroundAlertResult> {
  const gateway = ctx.gatewayA!;
  const distDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-bench-app-'));
  const connections = zendeskConnections(ctx.conn);
  let close: () => Promise<void> = async () => {};
  try {
    await build(appViteConfig({ distDir, gatewayHost: '127.0.0.1' }));
    const harness = await startHarness({
      distDir,
      settings: { gatewayUrl: gateway.url, agentKey: ctx.account.agentKey },
      currentUser: AGENT,
      users: [AGENT],
      zendeskApi: API,
      appId: APP_ID,
    });
    const browser = await launchChromium({ timeout: 30_000 });
    close = async () => {
      await browser.close().catch(() => {});
      await harness.close();
    };
    await connections.connect(ctx.account.accountId, {
      subdomain: 'harness',
      url: new URL(harness.url).origin,
      appId: APP_ID,
      auth: { kind: 'api-token', email: API.email, token: API.apiToken },
    });
    // the gateway trusts what it read of a connection for a few seconds: past that, every sample sees it
    await new Promise((r) => setTimeout(r, 5_500));
    const page = await browser.newPage();
    await page.goto(`${harness.url}?ticket=870000&backgrounds=1`);
    // every toast the page shows, with the wall-clock time it appeared
    // every toast the page shows, with the wall-clock time it appeared (a page script: no DOM types here)
    await page.evaluate(`(() => {
      const shown = (globalThis.shownToasts = []);
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) shown.push({ text: n.textContent ?? '', at: Date.now() });
      }).observe(document.getElementById('zd-notifications'), { childList: true });
    })()`);
    await page.waitForFunction(
      () =>
        (globalThis as any).harness
          .frames()
          .some((f: any) => f.location === 'background' && f.subscriptions.get('api_notification.cheqpoint_changed')),
      undefined,
      { timeout: 30_000 },
    );
    const count = ctx.settings.quick ? 8 : 20;
    const run = await sampleBounded({ count, timeMs: 60_000 }, async (i) => {
      // a Zendesk ticket id (numeric: the gateway's Zendesk effects act only on those), one per sample
      const ticket = String(880_000 + counter++);
      const sentAt = Date.now();
      const created = await request(`${gateway.url}/api/webhooks/inbound?wait=0`, {
        method: 'POST',
        headers: { 'x-api-key': ctx.account.flowKey },
        body: {
          action: 'refund_order',
          summary: `Refund order (alert sample ${i})`,
          details: { ticket_id: ticket, order: `bg-${i}`, amount: 25 },
        },
      });
      if (created.status !== 202) throw new Error(`intake answered ${created.status}: ${created.text.slice(0, 200)}`);
      const handle = await page.waitForFunction(
        (t) =>
          (globalThis as unknown as { shownToasts: { text: string; at: number }[] }).shownToasts.find((s) =>
            s.text.includes(`#${t}`),
          )?.at,
        ticket,
        { timeout: 10_000 },
      );
      const shownAt = (await handle.jsonValue()) as number;
      const notified = harness.notifications.find((n) => JSON.stringify(n.body).includes(ticket));
      // let this sample's toast and reads settle before the next intake
      await new Promise((r) => setTimeout(r, 200));
      return { toToast: shownAt - sentAt, toNotify: notified ? notified.at - sentAt : NaN };
    });
    return {
      intakeToNotification: summarize(run.results.map((r) => r.toToast)),
      intakeToNotifyApp: summarize(run.results.map((r) => r.toNotify).filter(Number.isFinite)),
      failures: run.failures.length,
      failureSamples: run.failures.slice(0, 3),
    };
  } finally {
    await connections.disconnect(ctx.account.accountId).catch(() => false);
    await close();
    rmSync(distDir, { recursive: true, force: true });
  }
}

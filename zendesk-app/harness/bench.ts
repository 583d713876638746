/**
 * `npm run bench:app`: the app's budgets, printed (not asserted).
 * - JavaScript of the sidebar's first load, gzip (budget ≤ 120 kB, of 1,000 bytes), and what loads on demand;
 * - first card visible after the iframe's load event, on localhost (budget ≤ 500 ms), median of 7 loads in
 *   headless Chromium through the harness, against a stub gateway that answers at once (so the figure is
 *   the app's own; the browser tests print the same figure against the real gateway);
 * - height of the sidebar at Zendesk's 320 px width for a ticket with 2 pending and 6 decided approvals,
 *   long keys (`requested_cancellation_effective_date`) and 22-key payloads among them (budget ≤ 1,000 px).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { appViteConfig } from '../build/app-vite-config.js';
import { chunkSizes, FIRST_LOAD_BUDGET_BYTES, kB } from '../build/first-load-size.js';
import { launchChromium } from './chromium.js';
import { startHarness } from './harness.server.js';

const RUNS = 7;
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function stubApproval(index: number) {
  const created = new Date(Date.now() - (index + 1) * 60_000).toISOString();
  return {
    approvalId: `apr_${randomBytes(16).toString('hex')}`,
    status: 'pending',
    modifiedDetails: null,
    decisionNote: null,
    decidedBy: null,
    action: 'refund_order',
    summary: `Refund order #${1000 + index}`,
    details: { ticket_id: '9921', order_id: String(1000 + index), amount: 40, currency: 'EUR' },
    justification: 'The parcel arrived late.',
    ticketId: '9921',
    riskLevel: 'medium',
    priority: null,
    agentName: 'Support AI',
    metadata: null,
    createdAt: created,
    decidedAt: null,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    callback: null,
    policy: null,
    quorum: null,
    escalatesAt: null,
  };
}

/** The height scenario's ticket: 2 pending and 6 decided approvals, long keys, 22-key payloads. */
const HISTORY_TICKET = '9922';
const SIDEBAR_WIDTH = 320;

function historyApprovals() {
  const longDetails = {
    ticket_id: HISTORY_TICKET,
    requested_cancellation_effective_date: '2026-04-01',
    subscription_identifier_in_billing_system: 'sub_8f2c1d9e7a6b5c4d',
    refund_amount: 112.4,
    currency: 'EUR',
    ...Object.fromEntries(
      Array.from({ length: 17 }, (_, i) => [`customer_requested_additional_option_${i + 1}`, `value ${i + 1}`]),
    ),
  };
  return Array.from({ length: 8 }, (_, index) => {
    const base = { ...stubApproval(index), ticketId: HISTORY_TICKET };
    const isLong = index % 2 === 1;
    const approval = {
      ...base,
      ...(isLong
        ? {
            action: 'cancel_subscription',
            summary: 'Cancel the Pro plan at the end of the billing period',
            details: longDetails,
            riskLevel: 'high',
          }
        : { details: { ...base.details, ticket_id: HISTORY_TICKET, notify_customer: true } }),
    };
    if (index < 2) return approval;
    const decidedAt = new Date(Date.now() - index * 30_000).toISOString();
    const decidedBy = { type: 'agent', id: '7', name: 'Grace Hopper', email: null };
    return { ...approval, status: index % 3 ? 'approved' : 'rejected', decidedAt, decidedBy, decisionNote: 'ok' };
  });
}

async function main() {
  const distDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-bench-'));
  const stub = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const approvals = req.url?.includes(`ticketId=${HISTORY_TICKET}`)
      ? historyApprovals()
      : [0, 1, 2].map(stubApproval);
    res.end(JSON.stringify({ approvals }));
  });
  try {
    await build(appViteConfig({ distDir, gatewayHost: '127.0.0.1' }));
    const sizes = chunkSizes(path.join(distDir, 'assets'));
    const loaded = sizes.filter((s) => s.isFirstLoad);
    const total = (key: 'raw' | 'gzip') => loaded.reduce((sum, s) => sum + s[key], 0);
    say(
      `Sidebar JavaScript, first load: ${kB(total('gzip'))} gzip (${total('gzip')} bytes; ${kB(total('raw'))} raw, ` +
        `${loaded.map((s) => s.file).join(' + ')}); budget ${kB(FIRST_LOAD_BUDGET_BYTES)} (kB = 1,000 bytes)`,
    );
    for (const chunk of sizes.filter((s) => !s.isFirstLoad)) {
      say(`  loaded on demand: ${chunk.file} ${kB(chunk.gzip)} gzip (${kB(chunk.raw)} raw)`);
    }

    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const gatewayUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    const harness = await startHarness({ distDir, settings: { gatewayUrl, agentKey: 'cqp_agent_bench' } });
    const browser = await launchChromium();
    const afterLoad: number[] = [];
    const afterNavigation: number[] = [];
    let sidebarHeight = 0;
    try {
      for (let run = 0; run < RUNS; run++) {
        const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
        await page.goto(`${harness.url}?ticket=9921`);
        await page.frameLocator('#app-ticket_sidebar').locator('article').first().waitFor({ timeout: 15_000 });
        const times = await page.evaluate(() => {
          const load = window.harness.log.find((e) => e.type === 'iframe.load');
          return { load: load?.at ?? 0, now: performance.now() };
        });
        afterLoad.push(times.now - times.load);
        afterNavigation.push(times.now);
        await page.close();
      }
      sidebarHeight = await historyHeight(browser, harness.url);
    } finally {
      await browser.close();
      await harness.close();
    }
    say(
      `First card visible: ${median(afterLoad).toFixed(0)} ms after the iframe load event, ` +
        `${median(afterNavigation).toFixed(0)} ms after navigation (median of ${RUNS}); budget 500 ms`,
    );
    say(
      `Sidebar height at ${SIDEBAR_WIDTH} px, 2 pending + 6 decided (long keys, 22-key payloads): ${sidebarHeight} px; budget 1000 px`,
    );
  } finally {
    stub.close();
    rmSync(distDir, { recursive: true, force: true });
  }
}

/** The sidebar's content height for the history ticket, with its iframe 320 px wide. */
async function historyHeight(browser: Awaited<ReturnType<typeof launchChromium>>, url: string): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  try {
    await page.goto(`${url}?ticket=${HISTORY_TICKET}`);
    await page.addStyleTag({ content: `#app-ticket_sidebar { width: ${SIDEBAR_WIDTH}px !important; }` });
    const sidebar = page.frameLocator('#app-ticket_sidebar');
    await sidebar.locator('article').nth(7).waitFor({ timeout: 15_000 });
    return await sidebar.locator('main').evaluate((main) => Math.ceil(main.getBoundingClientRect().height));
  } finally {
    await page.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

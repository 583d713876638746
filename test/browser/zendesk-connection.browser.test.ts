/**
 * The gateway's Zendesk connection end to end: a real gateway connected to the harness's emulated
 * Zendesk API (tags, notify-app, comments), the built app in headless Chromium hosted by the harness.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call } from '../support/http.js';
import { until } from '../support/process.js';
import { ADA, cardOf } from './browser.support.js';

const API = { email: 'gateway@harness.example', apiToken: 'harness-zd-token-31c9' };
const APP_ID = 31337;

let gateway: TestGateway;
let harness: IHarness;
let browser: Browser;
let keys: { flowKey: string; agentKey: string; accountId: string };
const pages: Page[] = [];

beforeAll(async () => {
  gateway = await startTestGateway({ label: 'zdbrowser', config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 200 } });
  keys = await gateway.createAccount('zendesk-browser');
  harness = await startHarness({
    distDir: inject('appDistDir'),
    settings: { gatewayUrl: gateway.url, agentKey: keys.agentKey, addTicketNote: true },
    currentUser: ADA,
    zendeskApi: API,
    appId: APP_ID,
  });
  await zendeskConnections(gateway.conn).connect(keys.accountId, {
    subdomain: 'harness',
    url: new URL(harness.url).origin,
    appId: APP_ID,
    auth: { kind: 'api-token', email: API.email, token: API.apiToken },
  });
  browser = await launchChromium({ timeout: 30_000 });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await browser?.close().catch(() => {});
  await harness?.close();
  await gateway?.close();
});

const intake = async (ticket: string) => {
  const res = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    body: {
      action: 'refund_order',
      summary: `Refund order for ticket ${ticket}`,
      details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 40, currency: 'EUR' },
    },
  });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
};

type LogEntry = { type: string; at: number; event?: string; body?: any; delivered?: string[] };
const harnessLog = (page: Page) => page.evaluate(() => (globalThis as any).harness.log as LogEntry[]);

describe('Zendesk connection through the harness', () => {
  it('When the harness is called without the connection’s credentials, then it answers 401', async () => {
    const res = await fetch(new URL('/api/v2/tickets/1/tags.json', harness.url), {
      method: 'PUT',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ tags: ['x'] }),
    });
    expect(res.status).toBe(401);
    expect(harness.tags['1']).toBeUndefined();
  });

  it('When an approval arrives for the open ticket, then the ticket is tagged and the open sidebar gets the notification and shows the card', async () => {
    const ticket = '6101';
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    pages.push(page);
    await page.goto(`${harness.url}?ticket=${ticket}`);
    const sidebar = page.frameLocator('#app-ticket_sidebar');
    await sidebar
      .getByText(/no approvals|nothing|when an ai agent/i)
      .first()
      .waitFor({ timeout: 15_000 });
    // The app has subscribed to the notification before anything is sent.
    await page.waitForFunction(() =>
      (globalThis as any).harness
        .frames()
        .some((f: any) => f.location === 'ticket_sidebar' && f.subscriptions.get('api_notification.cheqpoint_changed')),
    );

    const started = Date.now();
    const approvalId = await intake(ticket);
    await cardOf(sidebar, approvalId).waitFor({ state: 'visible', timeout: 3_000 });
    process.stdout.write(`[browser] card shown ${Date.now() - started} ms after intake\n`);

    await until(() => harness.tags[ticket]?.includes('cheqpoint_pending'), 'the ticket tagged');
    await page.locator('#tags').getByText('cheqpoint_pending').waitFor({ timeout: 5_000 });
    const notification = await until(
      () => harness.notifications.find((n) => (n.body as any)?.approvalId === approvalId),
      'the notification',
    );
    expect(notification).toMatchObject({
      appId: APP_ID,
      event: 'cheqpoint_changed',
      body: { ticketId: ticket, approvalId, change: 'created' },
    });
    const delivered = await until(async () => {
      const entry = (await harnessLog(page)).find(
        (e) => e.type === 'api_notification' && e.body?.approvalId === approvalId && e.body?.change === 'created',
      );
      return entry ?? null;
    }, 'the notification delivered to the iframe');
    expect(delivered.event).toBe('api_notification.cheqpoint_changed');
    expect(delivered.delivered).toContain('ticket_sidebar');

    // Decided elsewhere: the tag goes (no other approval of the ticket is pending), the sidebar hears of it.
    const decided = await call(gateway.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent: { id: '7', name: 'Grace Hopper', email: 'grace@example.com' } },
    });
    expect(decided.status).toBe(200);
    await until(() => harness.tags[ticket]?.length === 0, 'the tag removed');
    await page.locator('#tags').getByText('none').waitFor({ timeout: 5_000 });
    await until(
      async () =>
        (await harnessLog(page)).some(
          (e) => e.type === 'api_notification' && e.body?.approvalId === approvalId && e.body?.change === 'decided',
        ),
      'the decision delivered to the iframe',
    );
    await until(
      async () => (await cardOf(sidebar, approvalId).getAttribute('data-status')) === 'approved',
      'the card shown as approved',
    );
  });
});

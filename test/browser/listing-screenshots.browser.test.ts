/**
 * The screenshots of the Marketplace listing (zendesk-app/src/assets/screenshot-*.png) and of the README
 * (docs/screenshots/), taken the way a Zendesk agent sees the app: the harness in `?frame=zendesk` (no
 * harness toolbar, no ZAF log), the demo data `npm run dev` seeds (each request matches its ticket's
 * message), a real gateway connected to the harness's Zendesk API (so the ticket carries its tag).
 * Every run writes them to test-results/screenshots/; `CHEQPOINT_SAVE_SCREENSHOTS=1` refreshes the
 * committed copies.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEMO_HISTORY,
  DEMO_REQUESTS,
  DEMO_TICKET_ID,
  DEMO_TICKET_MESSAGES,
  DEMO_TICKET_SUBJECTS,
} from '../../zendesk-app/harness/demo-data.js';
import { seedDemo } from '../../zendesk-app/harness/demo-seed.js';
import { humanizeAction } from '../../zendesk-app/src/app/lib/format.js';
import type { IHarness } from '../../zendesk-app/harness/harness.server.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { until } from '../support/process.js';
import { saveScreenshot, startStack, type Stack } from './browser.support.js';

const API = { email: 'gateway@harness.example', apiToken: 'listing-zd-token-77a1' };
const APP_ID = 4242;
const LISTING = { width: 1024, height: 768 };

let stack: Stack;
let harness: IHarness;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'), {
    label: 'listing',
    harness: {
      zendeskApi: API,
      appId: APP_ID,
      ticketSubjects: DEMO_TICKET_SUBJECTS,
      ticketMessages: DEMO_TICKET_MESSAGES,
    },
  });
  ({ harness, browser } = stack);
  await zendeskConnections(stack.gateway.conn).connect(stack.keys.accountId, {
    subdomain: 'harness',
    url: new URL(harness.url).origin,
    appId: APP_ID,
    auth: { kind: 'api-token', email: API.email, token: API.apiToken },
  });
  await seedDemo(stack.gateway.url, stack.keys);
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
});

async function openFrame(query: Record<string, string>): Promise<Page> {
  const page = await browser.newPage({ viewport: LISTING });
  pages.push(page);
  await page.goto(`${harness.url}?${new URLSearchParams({ frame: 'zendesk', ...query })}`);
  return page;
}

/** Nothing of the harness itself is on screen: only what Zendesk would show around the app. */
async function expectNoHarnessChrome(page: Page) {
  for (const selector of ['header', 'details', '.harness-hint']) {
    expect(await page.locator(selector).isVisible(), selector).toBe(false);
  }
  expect(await page.getByText('Cheqpoint harness').isVisible()).toBe(false);
  expect(await page.getByText('ZAF log').isVisible()).toBe(false);
}

describe('Listing and README screenshots', () => {
  it('When the demo data is seeded, then every request matches the message of its ticket', () => {
    for (const request of [...DEMO_REQUESTS, ...DEMO_HISTORY.map((h) => h.request)]) {
      const ticket = request.details.ticket_id;
      expect(DEMO_TICKET_SUBJECTS[ticket], ticket).toBeTruthy();
      const message = DEMO_TICKET_MESSAGES[ticket]?.body ?? '';
      const order = 'order_id' in request.details ? request.details.order_id : null;
      if (order) expect(message, request.action).toContain(`#${order}`);
    }
  });

  it('When the ticket is opened as in Zendesk, then the sidebar shows its approvals beside the conversation, with no harness controls', async () => {
    const page = await openFrame({ ticket: DEMO_TICKET_ID });
    const sidebar = page.frameLocator('#app-ticket_sidebar');
    await sidebar.locator('article').first().waitFor({ timeout: 15_000 });
    await until(() => (harness.tags[DEMO_TICKET_ID] ?? []).includes('cheqpoint_pending'), 'the ticket to be tagged');
    await page.reload();
    await sidebar.locator('article').first().waitFor({ timeout: 15_000 });
    await expectNoHarnessChrome(page);
    expect(await page.locator('#ticket-title').textContent()).toContain(DEMO_TICKET_SUBJECTS[DEMO_TICKET_ID]);
    expect(await page.locator('#conversation').textContent()).toContain('arrived nine days late');
    expect(await page.locator('#tags').textContent()).toContain('cheqpoint_pending');
    const pending = DEMO_REQUESTS.filter((r) => r.details.ticket_id === DEMO_TICKET_ID).length;
    await expect
      .poll(() => sidebar.locator('article[data-status="pending"]').count(), { timeout: 15_000 })
      .toBe(pending);
    for (const { request } of DEMO_HISTORY) {
      await sidebar.getByText(humanizeAction(request.action)).first().waitFor({ timeout: 15_000 });
    }
    await page.waitForTimeout(300); // the iframe's last resize
    await saveScreenshot(page, 'listing-sidebar.png', { committed: ['zendesk-app/src/assets/screenshot-0.png'] });
    await saveScreenshot(page, 'readme-sidebar-light.png', {
      selector: '#sidebar',
      committed: ['docs/screenshots/sidebar-light.png'],
    });
  });

  it('When the dark scheme is on, then the README gets the dark sidebar', async () => {
    const page = await openFrame({ ticket: DEMO_TICKET_ID, colorScheme: 'dark' });
    const sidebar = page.frameLocator('#app-ticket_sidebar');
    await sidebar.locator('article').first().waitFor({ timeout: 15_000 });
    await expectNoHarnessChrome(page);
    await page.waitForTimeout(300);
    await saveScreenshot(page, 'readme-sidebar-dark.png', {
      selector: '#sidebar',
      committed: ['docs/screenshots/sidebar-dark.png'],
    });
  });

  it('When the queue is opened as in Zendesk, then it lists every demo approval with its ticket subject, with no harness controls', async () => {
    const page = await openFrame({ location: 'nav_bar' });
    const queue = page.frameLocator('#app-nav_bar');
    for (const subject of new Set(Object.values(DEMO_TICKET_SUBJECTS))) {
      await queue.getByText(subject).first().waitFor({ timeout: 15_000 });
    }
    await expectNoHarnessChrome(page);
    await page.waitForTimeout(300);
    await saveScreenshot(page, 'listing-queue.png', { committed: ['zendesk-app/src/assets/screenshot-1.png'] });
  });
});

/**
 * Zendesk tells the agents who may decide (issue 17 part 1), through the harness in real Chromium: the
 * background location hears the gateway's app notification (notify-app through the account's Zendesk
 * connection) and shows Zendesk's notification to an agent who may decide, nothing to one who may not;
 * one alert across two background instances (two Zendesk tabs); the top bar icon's count and its popover
 * opening the ticket; axe-core on the popover in light and dark.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { DEMO_POLICY, DEMO_USERS } from '../../zendesk-app/harness/demo-data.js';
import { axeViolations, openHarness, saveScreenshot, startStack, submit, type Stack } from './browser.support.js';

type DemoUser = (typeof DEMO_USERS)[number];
const [ADA, GRACE] = DEMO_USERS as [DemoUser, DemoUser, DemoUser];
const API = { email: 'gateway@harness.example', apiToken: 'alerts-zd-token-77c1' };
const APP_ID = 6161;

let stack: Stack;
const pages: Page[] = [];
/** Pending approvals Grace (Team leads) may decide, oldest (soonest expiry) first, as the tests create them. */
const forGrace: { approvalId: string; ticket: string }[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'), {
    label: 'browser_alerts',
    harness: { users: DEMO_USERS, currentUser: ADA, zendeskApi: API, appId: APP_ID },
  });
  await zendeskConnections(stack.gateway.conn).connect(stack.keys.accountId, {
    subdomain: 'harness',
    url: new URL(stack.harness.url).origin,
    appId: APP_ID,
    auth: { kind: 'api-token', email: API.email, token: API.apiToken },
  });
  await policiesRepository(stack.gateway.conn).setPolicy(stack.keys.accountId, DEMO_POLICY);
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
});

/** A €500 refund: the demo policy's "Needs a team lead" rule. */
async function bigRefund(ticket: string) {
  const approvalId = await submit(stack, {
    action: 'refund_order',
    summary: `Refund €500 for ticket ${ticket}`,
    details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 500, currency: 'EUR' },
    justification: 'Goodwill for a late order.',
  });
  forGrace.push({ approvalId, ticket });
  return approvalId;
}

async function openAs(user: DemoUser, ticket: string, extra: Record<string, string> = {}) {
  const opened = await openHarness(stack, { ticket, user: String(user.id), ...extra });
  pages.push(opened.page);
  // every background instance has registered and listens for the gateway's notification
  await expect
    .poll(
      () =>
        opened.page.evaluate(
          () =>
            (globalThis as any).harness
              .frames()
              .filter(
                (f: any) => f.location === 'background' && f.subscriptions.get('api_notification.cheqpoint_changed'),
              ).length,
        ),
      { timeout: 20_000 },
    )
    .toBe(Number(extra['backgrounds'] ?? 1));
  return opened;
}

const toasts = (page: Page) => page.locator('#zd-notifications .zd-notify').allTextContents();

/** How many times the page's background instances read one approval (each judged whether to alert). */
const backgroundReads = (page: Page, approvalId: string) =>
  page.evaluate(
    (id) =>
      (globalThis as any).harness.log.filter(
        // a request's entry: its `type` is the method (the harness logs `{ type: 'GET', url, location }`)
        (e: any) => e.type === 'GET' && e.location === 'background' && String(e.url).endsWith(`/approvals/${id}`),
      ).length,
    approvalId,
  );

const iconSymbol = (page: Page) => page.locator('#top-bar-icon').getAttribute('data-icon-symbol');

describe('Zendesk tells the agents who may decide', () => {
  it('When a €500 refund needs a team lead, then Grace (Team leads) on another ticket gets Zendesk’s notification and the top bar count, and Ada (Support) gets neither', async () => {
    const grace = await openAs(GRACE, '9922');
    const ada = await openAs(ADA, '9922');
    expect(await iconSymbol(grace.page)).toBe('default');
    const approvalId = await bigRefund('9921');

    await expect
      .poll(() => toasts(grace.page), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^Refund order €500\.00 on #9921 needs a team lead, (24h|23h) left$/)]);
    await expect.poll(() => iconSymbol(grace.page), { timeout: 10_000 }).toBe('count-1');
    await saveScreenshot(grace.page, 'alerts-grace-notification.png');

    // Ada's background read the same approval and judged it: still nothing for her, after a while
    await expect.poll(() => backgroundReads(ada.page, approvalId), { timeout: 10_000 }).toBe(1);
    await ada.page.waitForTimeout(1000);
    expect(await toasts(ada.page)).toEqual([]);
    expect(await iconSymbol(ada.page)).toBe('default');
  });

  it('When Grace has two Zendesk tabs (two background instances), then one approval alerts her once', async () => {
    const grace = await openAs(GRACE, '9922', { backgrounds: '2' });
    const approvalId = await bigRefund('9923');
    await expect.poll(() => backgroundReads(grace.page, approvalId), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => toasts(grace.page), { timeout: 10_000 }).toHaveLength(1);
    await grace.page.waitForTimeout(1000);
    expect(await toasts(grace.page)).toEqual([expect.stringContaining('on #9923 needs a team lead')]);
  });

  it('When Grace opens the top bar app, then it lists what she may decide, soonest expiry first, and a row opens its ticket with the sidebar on it', async () => {
    // an account deletion needs an admin: not Grace's
    await submit(stack, {
      action: 'delete_account',
      summary: 'Delete the account of ticket 9924',
      details: { ticket_id: '9924', account_id: 'acc-9924' },
    });
    const { page, sidebar } = await openAs(GRACE, '9922');
    await expect.poll(() => iconSymbol(page), { timeout: 10_000 }).toBe(`count-${forGrace.length}`);
    await page.locator('#top-bar-icon').click();
    const popover = page.frameLocator('#app-top_bar');
    await popover
      .getByRole('heading', { name: `${forGrace.length} approvals you may decide` })
      .waitFor({ timeout: 15_000 });
    const rows = popover.locator('button.row');
    expect(
      await rows.evaluateAll((buttons) =>
        buttons.map((b) => (b as unknown as { dataset: Record<string, string> }).dataset['approvalId']),
      ),
    ).toEqual(forGrace.map((a) => a.approvalId));
    expect(await rows.first().textContent()).toMatch(
      /^Refund order €500\.00#9921 · needs a team lead · (24h|23h) left$/,
    );
    await saveScreenshot(page, 'alerts-top-bar-popover.png');

    await rows.nth(1).click();
    await expect.poll(() => page.locator('#ticket-title').textContent(), { timeout: 10_000 }).toBe('Ticket #9923');
    expect(await page.locator('#top-bar-popover').isHidden()).toBe(true);
    await sidebar.locator(`article[data-approval-id="${forGrace[1]?.approvalId}"]`).waitFor({ timeout: 15_000 });
  });

  it('When axe-core checks the top bar popover in light and dark mode, then there is no serious or critical violation', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await openAs(GRACE, '9922', { colorScheme });
      await page.locator('#top-bar-icon').click();
      await page.frameLocator('#app-top_bar').locator('button.row').first().waitFor({ timeout: 15_000 });
      await saveScreenshot(page, `alerts-top-bar-${colorScheme}.png`, { selector: '#top-bar-popover' });
      const frame = await (await page.locator('#app-top_bar').elementHandle())?.contentFrame();
      if (!frame) throw new Error('no top_bar frame');
      expect(await frame.evaluate(() => (globalThis as any).document.documentElement.dataset['colorScheme'])).toBe(
        colorScheme,
      );
      const { all: violations, blocking } = await axeViolations(frame);
      expect(blocking, `top bar ${colorScheme}: ${JSON.stringify(violations)}`).toEqual([]);
    }
  });
});

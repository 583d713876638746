/**
 * The built app in headless Debian Chromium, hosted by the local ZAF harness and talking to a real
 * gateway through the harness's proxy (real ZAF SDK, real HTTP, real database).
 */
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cardOf,
  decideViaApi,
  getApproval,
  openHarness,
  saveScreenshot,
  startStack,
  submit,
  type Stack,
  axeViolations,
} from './browser.support.js';

const GRACE = { id: '7', name: 'Grace Hopper', email: 'grace@example.com' };
const refund = (ticket: string, extra: Record<string, unknown> = {}) => ({
  action: 'refund_order',
  summary: `Refund order for ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 40, currency: 'EUR', notify_customer: true },
  justification: 'The parcel arrived nine days late.',
  riskLevel: 'medium',
  agentName: 'Support AI',
  ...extra,
});

let stack: Stack;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'));
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
});

async function open(query: Record<string, string>) {
  const opened = await openHarness(stack, query);
  pages.push(opened.page);
  return opened;
}

async function appFrame(page: Page, location: 'ticket_sidebar' | 'nav_bar'): Promise<Frame> {
  const handle = await page.locator(`#app-${location}`).elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error(`no ${location} frame`);
  return frame;
}

describe('Zendesk app in the harness', () => {
  it('When a pending approval exists for the ticket, then the sidebar shows its card and resizes to it', async () => {
    const approvalId = await submit(stack, refund('5001'));
    const { page, sidebar } = await open({ ticket: '5001' });
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    const times = await page.evaluate(() => {
      const load = (globalThis as any).harness.log.find((e: any) => e.type === 'iframe.load');
      return { load: (load?.at as number | undefined) ?? 0, now: performance.now() };
    });
    process.stdout.write(`[browser] first card visible ${Math.round(times.now - times.load)} ms after iframe load\n`);
    expect(await card.getByRole('heading', { name: 'Refund order' }).isVisible()).toBe(true);
    expect(await card.textContent()).toContain('The parcel arrived nine days late.');
    expect(await card.getAttribute('data-status')).toBe('pending');
    await page.waitForFunction(() =>
      (globalThis as any).harness.log.some(
        (e: any) => e.type === 'resize' && Number.parseInt(String(e.height), 10) > 200,
      ),
    );
    await saveScreenshot(page, 'harness-sidebar.png');
    // the committed listing and README screenshots come from listing-screenshots.browser.test.ts
    await saveScreenshot(page, 'sidebar-light.png', { selector: '#sidebar' });
  });

  it('When the agent modifies the amount and approves with a note, then the gateway reports it approved with the changes and the agent', async () => {
    const approvalId = await submit(stack, refund('5002'));
    const { sidebar } = await open({ ticket: '5002' });
    const card = cardOf(sidebar, approvalId);
    await card.getByRole('button', { name: 'Modify' }).click();
    await card.getByLabel('Amount').fill('25');
    // the details name EUR, so the diff reads as money
    expect(await card.locator('li[data-change="changed"]').textContent()).toBe('Amount: €40.00 → €25.00');
    await card.getByLabel('Decision note').fill('Half refund agreed with the customer');
    await card.getByRole('button', { name: 'Approve with changes' }).click();
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="approved"]`)
      .waitFor({ timeout: 15_000 });

    const approval = await getApproval(stack, approvalId);
    expect(approval.status).toBe('approved');
    expect(approval.modifiedDetails).toEqual({ ...refund('5002').details, amount: 25 });
    expect(approval.decisionNote).toBe('Half refund agreed with the customer');
    expect(approval.decidedBy).toEqual({
      type: 'agent',
      id: '381',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      verified: false,
      channel: 'sidebar',
    });
    // the decided card folds to its history line where it was: opened, it says who decided
    await card.getByRole('button', { expanded: false }).click();
    expect(await card.textContent()).toContain('Approved by Ada Lovelace');

    await expect.poll(() => stack.harness.notes.filter((n) => n.ticketId === '5002').length).toBe(1);
    const note = stack.harness.notes.find((n) => n.ticketId === '5002');
    expect(note?.public).toBe(false);
    expect(note?.body).toContain('Ada Lovelace approved “Refund order for ticket 5002” with changes');
    expect(note?.body).toContain('amount: 40 → 25');
    // [1] the harness proxy substituted the key server-side; the app only ever sent the placeholder
    expect(stack.harness.proxied.some((r) => r.url.includes(stack.keys.agentKey))).toBe(false);
  });

  it('When Reject is confirmed without a note, then the card asks for one and nothing is decided; with a note it rejects', async () => {
    const approvalId = await submit(stack, refund('5003'));
    const { sidebar } = await open({ ticket: '5003' });
    const card = cardOf(sidebar, approvalId);
    // no note field on load; Reject opens it with one confirming step
    expect(await card.getByRole('textbox').count()).toBe(0);
    await card.getByRole('button', { name: 'Reject' }).click();
    await card.getByRole('button', { name: 'Confirm reject' }).click();
    await card.getByText('Write a note to reject.').waitFor();
    expect((await getApproval(stack, approvalId)).status).toBe('pending');

    await card.getByLabel('Why reject?').fill('Outside the refund window');
    await card.getByRole('button', { name: 'Confirm reject' }).click();
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="rejected"]`)
      .waitFor({ timeout: 15_000 });
    const approval = await getApproval(stack, approvalId);
    expect(approval).toMatchObject({
      status: 'rejected',
      decisionNote: 'Outside the refund window',
      modifiedDetails: null,
    });
  });

  it('When another agent decided through the API meanwhile, then Approve meets the 409 and the card says who decided', async () => {
    const approvalId = await submit(stack, refund('5004'));
    const { page, sidebar } = await open({ ticket: '5004' });
    const card = cardOf(sidebar, approvalId);
    await card.waitFor();
    // the other agent decides while this one's decision is on its way (live updates would otherwise show
    // the decision before the click): the harness proxy call is held until the API decision is in
    let otherStatus = 0;
    // (the harness names its signed-in user in the query: /harness/proxy?user=…)
    await page.route(
      (url) => url.pathname === '/harness/proxy',
      async (route) => {
        if (otherStatus === 0 && route.request().postData()?.includes(`${approvalId}/decision`)) {
          const res = await decideViaApi(stack, approvalId, {
            decision: 'approve',
            note: 'Done by phone',
            agent: GRACE,
          });
          otherStatus = res.status;
        }
        await route.continue();
      },
    );

    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await card
      .getByText('Already decided by Grace Hopper before your decision was saved.')
      .waitFor({ timeout: 15_000 });
    expect(await card.getAttribute('data-status')).toBe('approved');
    expect(await card.textContent()).toContain('Approved by Grace Hopper');
    expect(await card.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
  });

  it('When a decision is made elsewhere and the ticket is updated, then the card turns decided without a reload', async () => {
    const approvalId = await submit(stack, refund('5005'));
    const { page, sidebar } = await open({ ticket: '5005' });
    const card = cardOf(sidebar, approvalId);
    await card.waitFor();
    await decideViaApi(stack, approvalId, { decision: 'reject', note: 'Customer withdrew', agent: GRACE });
    await page.evaluate(() => (globalThis as any).harness.trigger('ticket.updated'));
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="rejected"]`)
      .waitFor({ timeout: 15_000 });
    await card.getByRole('button', { expanded: false }).click();
    expect(await card.textContent()).toContain('Rejected by Grace Hopper');
    expect(await card.textContent()).toContain('Customer withdrew');
  });

  it('When the queue is opened, then its table lists pending approvals soonest expiry first, filters by action and opens a ticket', async () => {
    const older = await submit(stack, {
      action: 'update_shipping_address',
      summary: 'Change the shipping address of order #1002',
      details: { ticket_id: '6001', order_id: '1002', address: { city: 'Berlin', zip: '10115' } },
      justification: 'The customer moved last week.',
      riskLevel: 'low',
      agentName: 'Support AI',
    });
    const newer = await submit(stack, {
      action: 'cancel_subscription',
      summary: "Cancel the 'Premium' plan at the end of the billing period",
      details: { ticket_id: '6002', subscription_id: 'sub_5521', effective: { at: 'period_end', prorate: false } },
      justification: 'The customer asked to cancel after being offered a discount.',
      riskLevel: 'high',
      agentName: 'Support AI',
    });
    const { page, queue, sidebar } = await open({ location: 'nav_bar' });
    const rows = queue.locator('tbody tr[data-approval-id]');
    const rowOf = (id: string) => queue.locator(`tbody tr[data-approval-id="${id}"]`);
    await rowOf(newer).waitFor({ timeout: 15_000 });
    const ids = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-approval-id')));
    // the same expiry rule for both: the older one expires first
    expect(ids.indexOf(older)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(older)).toBeLessThan(ids.indexOf(newer));
    expect(await queue.locator('th[aria-sort="ascending"]').textContent()).toBe('Expires');
    const statuses = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['pending']));
    expect(await rowOf(newer).textContent()).toContain('Cancel subscription');
    // the listing's queue screenshot comes from listing-screenshots.browser.test.ts (Zendesk frame, demo data)
    await saveScreenshot(page, 'queue-light.png');

    await queue.getByLabel('Action').selectOption('cancel_subscription');
    await expect
      .poll(async () => rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-approval-id'))))
      .toEqual([newer]);

    await rowOf(newer).getByRole('button', { name: 'Open ticket #6002' }).click();
    await page.waitForFunction(() => (globalThis as any).harness.log.some((e: any) => e.type === 'routeTo'));
    const route = await page.evaluate(
      () => (globalThis as any).harness.log.find((e: any) => e.type === 'routeTo').args,
    );
    expect(route).toEqual(['ticket', '6002']);
    await cardOf(sidebar, newer).waitFor({ timeout: 15_000 });
  });

  it('When axe-core checks the sidebar and the queue in light and dark mode, then there is no serious or critical violation', async () => {
    await submit(stack, {
      ...refund('7001'),
      action: 'cancel_subscription',
      details: { ticket_id: '7001', subscription_id: 'sub_1', effective: { at: 'period_end', prorate: false } },
      riskLevel: 'high',
      priority: 'high',
    });
    // a decided approval too, so the expanded history line is checked
    const decided = await submit(stack, refund('7001'));
    await decideViaApi(stack, decided, { decision: 'approve', note: 'Agreed by phone', agent: GRACE });
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const location of ['ticket_sidebar', 'nav_bar'] as const) {
        const { page, sidebar, queue } = await open(
          location === 'nav_bar' ? { location, colorScheme } : { ticket: '7001', colorScheme },
        );
        // the queue is a table: its rows, not cards, show once the list is in
        await (location === 'nav_bar' ? queue.locator('tbody tr[data-approval-id]') : sidebar.locator('article'))
          .first()
          .waitFor({ timeout: 15_000 });
        if (location === 'ticket_sidebar') {
          // open the modify form too, so its fields are checked
          await sidebar.getByRole('button', { name: 'Modify' }).first().click();
          await saveScreenshot(page, `sidebar-${colorScheme}-modify.png`, { selector: '#sidebar' });
          await sidebar.getByRole('button', { name: 'Cancel' }).first().click();
          await saveScreenshot(page, `sidebar-${colorScheme}.png`, {
            selector: '#sidebar',
          });
          await sidebar.getByRole('button', { name: 'Modify' }).first().click();
        }
        const frame = await appFrame(page, location);
        const check = async (state: string) => {
          const { all: violations, blocking } = await axeViolations(frame);
          expect(blocking, `${location} ${colorScheme} ${state}: ${JSON.stringify(violations)}`).toEqual([]);
        };
        await check(location === 'ticket_sidebar' ? 'modify open' : '');
        if (location === 'ticket_sidebar') {
          // the reject step with its note, and a history line expanded
          await sidebar.getByRole('button', { name: 'Cancel' }).first().click();
          await sidebar.getByRole('button', { name: 'Reject' }).first().click();
          await sidebar.getByRole('button', { name: 'Confirm reject' }).waitFor();
          await sidebar.getByRole('button', { expanded: false }).first().click();
          await sidebar.getByText('Agreed by phone').waitFor();
          await saveScreenshot(page, `sidebar-${colorScheme}-reject-history.png`, { selector: '#sidebar' });
          await check('reject step and history expanded');
        }
      }
    }
  });
});

/**
 * The sidebar cards at Zendesk's 320 px sidebar width, in headless Chromium through the harness and a real
 * gateway: height of a ticket with history, the value column beside long keys, expiry, focus.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  axeViolations,
  cardOf,
  decideViaApi,
  getApproval,
  openHarness,
  saveScreenshot,
  startStack,
  submit,
  type Stack,
} from './browser.support.js';

const GRACE = { id: '7', name: 'Grace Hopper', email: 'grace@example.com' };
/** Zendesk's ticket sidebar content width. */
const SIDEBAR_WIDTH = 320;

let stack: Stack;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'));
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
});

/** The harness with the sidebar iframe exactly 320 px wide. */
async function openSidebar(
  ticket: string,
  extra: Record<string, string> = {},
  beforeGoto?: (page: Page) => Promise<void>,
) {
  const opened = await openHarness(stack, { ticket, ...extra });
  pages.push(opened.page);
  if (beforeGoto) await beforeGoto(opened.page);
  await opened.page.addStyleTag({
    content: `#app-ticket_sidebar { width: ${SIDEBAR_WIDTH}px !important; max-width: none !important; }`,
  });
  return opened;
}

const refund = (ticket: string, extra: Record<string, unknown> = {}) => ({
  action: 'refund_order',
  summary: `Refund order for ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 40, currency: 'EUR', notify_customer: true },
  justification: 'The parcel arrived nine days late.',
  riskLevel: 'medium',
  agentName: 'Support AI',
  ...extra,
});

/** A cancellation with long keys and 22 details, the worst case the issue measured (34,312 px tall). */
const longCancellation = (ticket: string) => ({
  action: 'cancel_subscription',
  summary: 'Cancel the Pro plan at the end of the billing period',
  details: {
    ticket_id: ticket,
    requested_cancellation_effective_date: '2026-04-01',
    subscription_identifier_in_billing_system: 'sub_8f2c1d9e7a6b5c4d',
    refund_amount: 112.4,
    currency: 'EUR',
    ...Object.fromEntries(
      Array.from({ length: 18 }, (_, i) => [`customer_requested_additional_option_${i + 1}`, `value ${i + 1}`]),
    ),
  },
  justification: 'The customer asked twice to cancel and confirmed the effective date in writing.',
  riskLevel: 'high',
  agentName: 'Support AI',
});

/** Serious or critical axe-core violations in the sidebar frame, as it is now. */
async function axeBlocking(page: Page) {
  const frame = page.frames().find((f) => f.url().includes('location=ticket_sidebar'));
  if (!frame) throw new Error('no sidebar frame');
  return (await axeViolations(frame)).blocking;
}

describe('Sidebar cards at 320 px', () => {
  it('When a ticket has 2 pending and 6 decided approvals with long keys, then the sidebar stays under 1,000 px and values keep at least 40 % of the card', async () => {
    const ticket = '8001';
    const typical = await submit(stack, refund(ticket));
    const long = await submit(stack, longCancellation(ticket));
    for (let i = 0; i < 6; i++) {
      const body = i % 2 ? refund(ticket) : longCancellation(ticket);
      // distinct details: the gateway folds identical pending requests into one approval
      const id = await submit(stack, { ...body, details: { ...body.details, order_id: `o-${ticket}-${i + 1}` } });
      const decision =
        i % 3 === 0 ? { decision: 'reject', note: 'Outside the refund window' } : { decision: 'approve' };
      expect((await decideViaApi(stack, id, { ...decision, agent: GRACE })).status).toBe(200);
    }
    const { page, sidebar } = await openSidebar(ticket);
    await cardOf(sidebar, long).waitFor({ timeout: 15_000 });
    await expect.poll(() => sidebar.locator('article').count()).toBe(8);

    const frame = page.frames().find((f) => f.url().includes('location=ticket_sidebar'));
    if (!frame) throw new Error('no sidebar frame');
    const measure = () =>
      frame.evaluate(() => {
        const { document } = globalThis as any;
        return {
          width: document.documentElement.clientWidth as number,
          height: Math.ceil(document.querySelector('main').getBoundingClientRect().height as number),
        };
      });
    const { width, height } = await measure();
    const typicalHeight = (await cardOf(sidebar, typical).boundingBox())?.height ?? 0;
    process.stdout.write(
      `[browser] sidebar ${width} px wide: 2 pending + 6 decided = ${height} px; typical pending card ${Math.round(typicalHeight)} px\n`,
    );
    await saveScreenshot(page, 'sidebar-320-history.png', { selector: '#sidebar' });
    expect(await axeBlocking(page)).toEqual([]);
    expect(width).toBe(SIDEBAR_WIDTH);
    expect(height).toBeLessThan(1_000);
    expect(typicalHeight).toBeLessThan(300);

    // every decided approval is one collapsed line that expands on demand
    const toggles = sidebar.getByRole('button', { expanded: false });
    expect(await toggles.count()).toBe(6);
    for (const box of await sidebar
      .locator('article:not([data-status="pending"])')
      .evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height))) {
      expect(box).toBeLessThan(48);
    }

    // the value beside (or under) a long key keeps at least 40 % of the card's width, and 112.40 stays whole
    const card = cardOf(sidebar, long);
    const cardWidth = (await card.boundingBox())?.width ?? 0;
    for (const key of [
      'requested_cancellation_effective_date',
      'refund_amount',
      'customer_requested_additional_option_1',
    ]) {
      const value = card.locator(`[data-detail="${key}"] dd`);
      const box = await value.boundingBox();
      expect(box?.width ?? 0, key).toBeGreaterThanOrEqual(cardWidth * 0.4);
    }
    const amount = card.locator('[data-detail="refund_amount"] dd');
    expect((await amount.textContent())?.trim()).toBe('€112.40');
    expect((await amount.boundingBox())?.height ?? 99).toBeLessThan(24); // one line

    // expanding one history line shows the decision; the card grows and collapses again
    await toggles.first().click();
    await expect.poll(async () => sidebar.getByRole('button', { expanded: true }).count()).toBe(1);
    expect(await sidebar.locator('article[data-expanded="true"]:not([data-status="pending"])').textContent()).toContain(
      'by Grace Hopper',
    );
    await sidebar.getByRole('button', { expanded: true }).click();
    await expect.poll(async () => (await measure()).height).toBe(height);
  });

  it('When an approval is past its expiry in the browser clock, then Approve, Reject and Modify are disabled, "Expired" shows and no decision is sent', async () => {
    const ticket = '8002';
    const approvalId = await submit(stack, refund(ticket));
    const expiresAt = Date.parse((await getApproval(stack, approvalId)).expiresAt as string);
    // the page's clock runs naturally from now; later it jumps past the expiry (the gateway's does not)
    const { page, sidebar } = await openSidebar(ticket, {}, async (p) => {
      await p.clock.install();
    });
    await page.reload();
    await page.addStyleTag({ content: `#app-ticket_sidebar { width: ${SIDEBAR_WIDTH}px !important; }` });
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ timeout: 15_000 });
    const approve = card.getByRole('button', { name: 'Approve', exact: true });
    expect(await approve.isEnabled()).toBe(true);

    await page.clock.fastForward(expiresAt - Date.now() - 30_000);
    const countdown = card.locator('time[data-urgency]');
    await expect.poll(() => countdown.getAttribute('data-urgency')).toBe('imminent');
    expect(await countdown.textContent()).toMatch(/^Expires in \d+ seconds$/);
    expect(await axeBlocking(page)).toEqual([]);
    await page.clock.fastForward(31_000);
    await expect.poll(() => countdown.getAttribute('data-urgency'), { timeout: 5_000 }).toBe('expired');
    for (const name of ['Approve', 'Reject', 'Modify']) {
      expect(await card.getByRole('button', { name, exact: true }).isDisabled(), name).toBe(true);
    }
    expect(await card.textContent()).toContain('Expired');
    expect(await axeBlocking(page)).toEqual([]);
    expect(stack.harness.proxied.some((r) => r.method === 'POST' && r.url.includes(approvalId))).toBe(false);
    expect((await getApproval(stack, approvalId)).status).toBe('pending');
  });

  it('When Modify opens, then focus is on the first editable field; Cancel returns it to Modify; Enter approves and focus stays in the card (its history line: nothing else is pending)', async () => {
    const ticket = '8003';
    const approvalId = await submit(stack, refund(ticket));
    const { sidebar } = await openSidebar(ticket);
    const card = cardOf(sidebar, approvalId);
    await card.getByRole('button', { name: 'Modify' }).click();
    const focused = () =>
      card.evaluate(() => {
        const { document } = globalThis as any;
        const el = document.activeElement;
        return {
          label: (el?.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? '') : '') as string,
          text: (el?.textContent ?? '') as string,
          approval: (el?.closest('[data-approval-id]')?.getAttribute('data-approval-id') ?? '') as string,
        };
      });
    await expect.poll(async () => (await focused()).label).toBe('Order id');
    await card.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(async () => (await focused()).text).toBe('Modify');

    await card.getByRole('button', { name: 'Modify' }).click();
    await card.getByLabel('Amount').fill('30');
    await card.getByLabel('Amount').press('Enter');
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="approved"]`)
      .waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await focused()).approval).toBe(approvalId);
    expect((await getApproval(stack, approvalId)).modifiedDetails).toMatchObject({ amount: 30 });
  });
});

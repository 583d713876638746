/**
 * Live updates end to end: the built app in headless Chromium through the harness's proxy and a real
 * gateway. A change made elsewhere reaches the open sidebar (and queue) through the app's held list
 * call, within 3 s, with no click, no ticket event and no 30 s poll.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { until } from '../support/process.js';
import { cardOf, decideViaApi, openHarness, startStack, submit, type Stack } from './browser.support.js';

const GRACE = { id: '7', name: 'Grace Hopper', email: 'grace@example.com' };
const refund = (ticket: string) => ({
  action: 'refund_order',
  summary: `Refund order for ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 40, currency: 'EUR' },
  justification: 'The parcel arrived nine days late.',
  riskLevel: 'medium',
  agentName: 'Support AI',
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

/** The list calls the app made through the proxy (answered ones), optionally of one query fragment. */
const listCalls = (fragment: string) =>
  stack.harness.proxied.filter((c) => c.url.includes('/api/agent/approvals?') && c.url.includes(fragment));
const isHeld = (url: string) => /[?&]since=\d+/.test(url) && /[?&]wait=20(&|$)/.test(url);

describe('Live updates in the harness', () => {
  it('When an approval is made for the open ticket and then decided elsewhere, then the sidebar shows each within 3 s, the new one marked, through held calls', async () => {
    const startedAt = Date.now();
    const opened = await openHarness(stack, { ticket: '7001' });
    pages.push(opened.page);
    const { sidebar } = opened;
    await sidebar.getByText('No approvals for this ticket').first().waitFor({ timeout: 15_000 });
    // The app keeps one held call outstanding on the gateway.
    await until(() => stack.gateway.lists.count >= 1, 'a held list call from the sidebar', 10_000);

    const submittedAt = Date.now();
    const approvalId = await submit(stack, refund('7001'));
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ state: 'visible', timeout: 3_000 });
    const shownMs = Date.now() - submittedAt;
    await card.getByText('New', { exact: true }).waitFor({ timeout: 1_000 });
    // It came with a held call's answer: the plain lists are the first load and the one on app.activated.
    const answered = listCalls('ticketId=7001');
    expect(answered.filter((c) => !isHeld(c.url)).length).toBeLessThanOrEqual(2);
    expect(answered.filter((c) => isHeld(c.url) && c.status === 200).length).toBeGreaterThanOrEqual(1);

    const decidedAt = Date.now();
    const decided = await decideViaApi(stack, approvalId, {
      decision: 'reject',
      note: 'Customer withdrew',
      agent: GRACE,
    });
    expect(decided.status).toBe(200);
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="rejected"]`)
      .waitFor({ timeout: 3_000 });
    const decidedMs = Date.now() - decidedAt;

    // Idle: the held call stays outstanding, nothing polls.
    const before = listCalls('ticketId=7001').length;
    await new Promise((r) => setTimeout(r, 5_000));
    const idleCalls = listCalls('ticketId=7001').length - before;
    expect(idleCalls).toBeLessThanOrEqual(1);
    const total = listCalls('ticketId=7001').length;
    const minutes = (Date.now() - startedAt) / 60_000;
    process.stdout.write(
      `[browser] live: new card after ${shownMs} ms, decision after ${decidedMs} ms; ` +
        `${total} list calls in ${Math.round(minutes * 60)} s, ${idleCalls} in 5 s idle\n`,
    );
    // One plain list, one answer per change, and the held calls' 20 s renewals.
    expect(total).toBeLessThanOrEqual(2 + 2 + Math.ceil(minutes * 3) + 1);
    await opened.page.close();
  });

  it('When an approval is made while the queue is open, then its row appears within 3 s, marked new', async () => {
    const opened = await openHarness(stack, { location: 'nav_bar' });
    pages.push(opened.page);
    const { queue } = opened;
    await until(() => listCalls('status=pending').length >= 1, 'the first queue list', 15_000);
    // The held call follows the first list at once (other pages' held calls may still be on the gateway).
    await new Promise((r) => setTimeout(r, 1_000));
    const heldBefore = listCalls('status=pending').filter((c) => isHeld(c.url)).length;
    const submittedAt = Date.now();
    const approvalId = await submit(stack, refund('7002'));
    const row = queue.locator(`tbody tr[data-approval-id="${approvalId}"]`);
    await row.waitFor({ state: 'visible', timeout: 3_000 });
    process.stdout.write(`[browser] live: queue row after ${Date.now() - submittedAt} ms\n`);
    await row.getByText('New', { exact: true }).waitFor({ timeout: 1_000 });
    // It came with a held call's answer.
    expect(listCalls('status=pending').filter((c) => isHeld(c.url)).length).toBeGreaterThan(heldBefore);
  });
});

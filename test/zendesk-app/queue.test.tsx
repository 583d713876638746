import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import {
  filterApprovals,
  formatAmount,
  formatShortRelative,
  pageOf,
  sortApprovals,
} from '../../zendesk-app/src/app/components/queue/queue-model';
import { Queue } from '../../zendesk-app/src/app/locations/Queue';
import { NOW, buildApproval, fakeClient, fakeGateway, renderWithClient } from './support';

const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
const ids = (list: { approvalId: string }[]) => list.map((a) => a.approvalId);
const rowIds = () =>
  [...document.querySelectorAll('tbody tr[data-approval-id]')].map((el) => el.getAttribute('data-approval-id'));

describe('Queue model', () => {
  const soonLow = buildApproval({ riskLevel: 'low', createdAt: at(-30), expiresAt: at(5) });
  const lateCritical = buildApproval({ riskLevel: 'critical', createdAt: at(-10), expiresAt: at(60) });
  const midNone = buildApproval({
    riskLevel: null,
    action: 'cancel_subscription',
    createdAt: at(-20),
    expiresAt: at(30),
  });
  const all = [lateCritical, midNone, soonLow];

  it('When sorted by expiry, risk or age, then the order follows that column either way', () => {
    expect(ids(sortApprovals(all, { key: 'expiry', direction: 'asc' }))).toEqual(ids([soonLow, midNone, lateCritical]));
    expect(ids(sortApprovals(all, { key: 'expiry', direction: 'desc' }))).toEqual(
      ids([lateCritical, midNone, soonLow]),
    );
    expect(ids(sortApprovals(all, { key: 'risk', direction: 'desc' }))).toEqual(ids([lateCritical, soonLow, midNone]));
    expect(ids(sortApprovals(all, { key: 'risk', direction: 'asc' }))).toEqual(ids([midNone, soonLow, lateCritical]));
    // age descending = oldest first
    expect(ids(sortApprovals(all, { key: 'age', direction: 'desc' }))).toEqual(ids([soonLow, midNone, lateCritical]));
    expect(ids(sortApprovals(all, { key: 'age', direction: 'asc' }))).toEqual(ids([lateCritical, midNone, soonLow]));
    expect(ids(all)).toEqual(ids([lateCritical, midNone, soonLow])); // the input is not reordered
  });

  it('When filtered by action and risk, then only matches stay; risk "none" finds approvals sent without one', () => {
    expect(ids(filterApprovals(all, { action: 'refund_order', risk: '' }))).toEqual(ids([lateCritical, soonLow]));
    expect(ids(filterApprovals(all, { action: 'refund_order', risk: 'low' }))).toEqual(ids([soonLow]));
    expect(ids(filterApprovals(all, { action: '', risk: 'none' }))).toEqual(ids([midNone]));
    expect(filterApprovals(all, { action: 'cancel_subscription', risk: 'critical' })).toEqual([]);
  });

  it('When paging 30 rows by 25, then page 2 has 5 and a page past the end is clamped to the last', () => {
    const rows = Array.from({ length: 30 }, (_, i) => i);
    expect(pageOf(rows, 0)).toMatchObject({ page: 0, pageCount: 2, from: 1, to: 25 });
    expect(pageOf(rows, 1)).toMatchObject({ rows: [25, 26, 27, 28, 29], from: 26, to: 30 });
    expect(pageOf(rows, 7)).toMatchObject({ page: 1, from: 26, to: 30 });
    expect(pageOf([], 3)).toMatchObject({ rows: [], page: 0, pageCount: 1, from: 0, to: 0 });
  });

  it('When details carry an amount, then it is formatted as money in the agent locale, with or without a currency', () => {
    expect(formatAmount({ amount: 40, currency: 'EUR' }, 'en-US')).toBe('€40.00');
    expect(formatAmount({ amount: 40, currency: 'eur' }, 'de-DE')).toBe('40,00\u00a0€');
    expect(formatAmount({ amount: '1234.5', currency: 'USD' }, 'en-US')).toBe('$1,234.50');
    expect(formatAmount({ amount: 1234.5 }, 'en-US')).toBe('1,234.5');
    expect(formatAmount({ amount: 'forty', currency: 'EUR' }, 'en-US')).toBeNull();
    expect(formatAmount({ order_id: '1001' }, 'en-US')).toBeNull();
    expect(formatAmount({ amount: 5, currency: 'euro' }, 'en-US')).toBe('5'); // not a currency code
  });

  it('When details carry money in another shape, then the Amount column shows it: "15.00 EUR", {amount, currency}, *_amount, cents, the default currency; never a line item', () => {
    const plain = (text: string | null) => text?.replace(/[\u00a0\u202f]/g, ' ') ?? null;
    expect(formatAmount({ amount: '15.00 EUR' }, 'en-US')).toBe('€15.00');
    expect(formatAmount({ amount: '€15' }, 'en-US')).toBe('€15.00');
    expect(formatAmount({ total: { amount: 57.4, currency: 'GBP' } }, 'en-GB')).toBe('£57.40');
    expect(formatAmount({ order_id: 1001, refund_amount: 1234.5, currency: 'EUR' }, 'en-US')).toBe('€1,234.50');
    expect(plain(formatAmount({ refund_amount: 1234.5, currency: 'EUR' }, 'de-DE'))).toBe('1.234,50 €');
    expect(formatAmount({ amount_cents: 1999, currency: 'EUR' }, 'en-US')).toBe('€19.99');
    // `amount` first, wherever it is
    expect(formatAmount({ shipping_fee: 4.9, amount: 40, currency: 'USD' }, 'en-US')).toBe('$40.00');
    expect(formatAmount({ amount: 15 }, 'en-US', 'EUR')).toBe('€15.00');
    expect(formatAmount({ amount: 15, currency: 'USD' }, 'en-US', 'EUR')).toBe('$15.00');
    expect(formatAmount({ amount: 15, currency: 'dollars' }, 'en-US', 'EUR')).toBe('15');
    expect(formatAmount({ items: [{ price: 10 }], currency: 'EUR' }, 'en-US')).toBeNull();
    expect(formatAmount({ quantity: 3, discount_percent: 10 }, 'en-US', 'EUR')).toBeNull();
  });

  it('When times are short-formatted, then they read as the narrow columns need them', () => {
    expect(formatShortRelative(NOW - 5 * 60_000, NOW, 'en')).toBe('5 min. ago');
    expect(formatShortRelative(NOW + 599_000, NOW, 'en')).toBe('in 10 min.');
    expect(formatShortRelative(NOW + 2 * 3600_000, NOW, 'de')).toBe('in 2 Std.');
  });

  it('When expiries are 23, 24 or 47 hours away, then the column says hours in both languages, never "tomorrow"', () => {
    const hours = (h: number) => NOW + h * 3600_000;
    expect(formatShortRelative(hours(23), NOW, 'en')).toBe('in 23 hr.');
    expect(formatShortRelative(hours(24), NOW, 'en')).toBe('in 24 hr.');
    expect(formatShortRelative(hours(47), NOW, 'en')).toBe('in 47 hr.');
    expect(formatShortRelative(hours(48), NOW, 'en')).toBe('in 2 days');
    expect(formatShortRelative(hours(-24), NOW, 'en')).toBe('24 hr. ago');
    expect(formatShortRelative(hours(24), NOW, 'de')).toBe('in 24 Std.');
    expect(formatShortRelative(hours(48), NOW, 'de')).toBe('in 2 Tagen');
    expect(formatShortRelative(NOW - 14 * 60_000, NOW, 'de')).toBe('vor 14 Min.');
  });
});

describe('Queue', () => {
  it('When pending approvals exist, then they are table rows whose ticket button opens the ticket', async () => {
    const client = fakeClient();
    const first = buildApproval();
    const second = buildApproval({ action: 'cancel_subscription', ticketId: '77', summary: 'Cancel plan' });
    const gateway = fakeGateway({ listPending: vi.fn(async () => [first, second]) });
    renderWithClient(<Queue />, { client, gateway, location: 'nav_bar' });
    await waitFor(() => expect(screen.getByTestId('queue-count').textContent).toBe('Pending: 2'));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Pending approvals');
    expect(screen.getAllByRole('status')).toHaveLength(1);
    expect(screen.getByRole('status').textContent).toBe('Pending: 2');
    expect(gateway.listPending).toHaveBeenCalledWith({ limit: 200 });
    fireEvent.click(screen.getByRole('button', { name: 'Open ticket #77' }));
    expect(client.invoke).toHaveBeenCalledWith('routeTo', 'ticket', '77');
  });

  it('When an action is chosen, then the queue is re-fetched for that action and shows only it', async () => {
    const refund = buildApproval();
    const cancel = buildApproval({ action: 'cancel_subscription' });
    const gateway = fakeGateway({ listPending: vi.fn(async () => [refund, cancel]) });
    renderWithClient(<Queue />, { gateway, location: 'nav_bar' });
    await screen.findByText('Pending: 2', { selector: '[data-testid=queue-count]' });
    // the action select lists the actions of the approvals once they are known (a render after the count)
    const select = screen.getByLabelText('Action') as HTMLSelectElement;
    await waitFor(() => expect([...select.options].map((o) => o.value)).toContain('cancel_subscription'));
    fireEvent.change(select, { target: { value: 'cancel_subscription' } });
    await waitFor(() =>
      expect(gateway.listPending).toHaveBeenLastCalledWith({ limit: 200, action: 'cancel_subscription' }),
    );
    await waitFor(() => expect(rowIds()).toEqual([cancel.approvalId]));
    expect(gateway.listPending).toHaveBeenCalledTimes(2); // one list for the new filter, not two
  });

  it('When an approval arrives after the first list, then its row is marked new until the agent reviews it', async () => {
    const first = buildApproval({ summary: 'Refund order #1001' });
    const arrived = buildApproval({ summary: 'Refund order #1002' });
    const listPending = vi.fn().mockResolvedValueOnce([first]).mockResolvedValue([first, arrived]);
    renderWithClient(<Queue />, { gateway: fakeGateway({ listPending }), location: 'nav_bar' });
    await waitFor(() => expect(rowIds()).toEqual([first.approvalId]));
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(rowIds()).toEqual([first.approvalId, arrived.approvalId]));
    const row = () => document.querySelector(`tr[data-approval-id="${arrived.approvalId}"]`) as HTMLElement;
    expect(row().getAttribute('data-new')).toBe('true');
    expect(within(row()).getByText('New')).toBeTruthy();
    expect(document.querySelector(`tr[data-approval-id="${first.approvalId}"]`)?.hasAttribute('data-new')).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Review: Refund order #1002' }));
    await waitFor(() => expect(row().hasAttribute('data-new')).toBe(false));
  });

  it('When a header is clicked, then the rows re-sort and aria-sort says how', async () => {
    const low = buildApproval({ riskLevel: 'low', expiresAt: at(10) });
    const high = buildApproval({ riskLevel: 'high', expiresAt: at(20) });
    renderWithClient(<Queue />, {
      gateway: fakeGateway({ listPending: vi.fn(async () => [high, low]) }),
      location: 'nav_bar',
    });
    await waitFor(() => expect(rowIds()).toEqual([low.approvalId, high.approvalId]));
    const riskButton = screen.getByRole('button', { name: 'Risk' });
    expect(riskButton.closest('th')?.getAttribute('aria-sort')).toBe('none');
    fireEvent.click(riskButton);
    expect(rowIds()).toEqual([high.approvalId, low.approvalId]);
    expect(riskButton.closest('th')?.getAttribute('aria-sort')).toBe('descending');
    expect(screen.getByRole('button', { name: 'Expires' }).closest('th')?.getAttribute('aria-sort')).toBe('none');
  });

  it('When Zendesk knows the tickets, then their subjects show under the numbers from one show_many call', async () => {
    const client = fakeClient();
    client.request.mockResolvedValue({ tickets: [{ id: 77, subject: 'My parcel is late' }] });
    const gateway = fakeGateway({
      listPending: vi.fn(async () => [buildApproval({ ticketId: '77' }), buildApproval({ ticketId: '78' })]),
    });
    renderWithClient(<Queue />, { client, gateway, location: 'nav_bar' });
    expect(await screen.findByText('My parcel is late')).toBeTruthy();
    expect(client.request).toHaveBeenCalledTimes(1);
    expect(client.request).toHaveBeenCalledWith({ url: '/api/v2/tickets/show_many.json?ids=77,78', type: 'GET' });
  });

  it('When the subjects cannot be read, then the ticket numbers still show and the call is not repeated', async () => {
    const client = fakeClient();
    client.request.mockRejectedValue({ status: 403 });
    const gateway = fakeGateway({ listPending: vi.fn(async () => [buildApproval({ ticketId: '77' })]) });
    renderWithClient(<Queue />, { client, gateway, location: 'nav_bar' });
    await screen.findByRole('button', { name: 'Open ticket #77' });
    await waitFor(() => expect(client.request).toHaveBeenCalledTimes(1));
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(gateway.listPending).toHaveBeenCalledTimes(2));
    await act(async () => new Promise((r) => setTimeout(r, 50)));
    expect(client.request).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'Open ticket #77' }).textContent).toBe('#77');
  });

  it('When the gateway returns its limit of 200, then the queue says only the first 200 show', async () => {
    const many = Array.from({ length: 200 }, () => buildApproval());
    renderWithClient(<Queue />, {
      gateway: fakeGateway({ listPending: vi.fn(async () => many) }),
      location: 'nav_bar',
    });
    await waitFor(() =>
      expect(screen.getByTestId('queue-count').textContent).toBe(
        'Pending: 200 Showing the first 200 pending approvals.',
      ),
    );
    expect(screen.getAllByRole('row')).toHaveLength(26); // header + 25
    expect(screen.getByText('1–25 of 200')).toBeTruthy();
  });

  it('When a row is reviewed, then its card opens below it, deciding (said to come from the queue) keeps the row until it is closed', async () => {
    // expires an hour from the real clock (the card disables deciding once expired)
    const approval = buildApproval({
      riskLevel: 'low',
      summary: 'Refund order #1001',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const decide = vi.fn(async () => ({
      kind: 'decided' as const,
      approval: { ...approval, status: 'approved' as const, decidedAt: new Date().toISOString() },
    }));
    const gateway = fakeGateway({ listPending: vi.fn(async () => [approval]), decide });
    renderWithClient(<Queue />, { gateway, location: 'nav_bar' });
    fireEvent.click(await screen.findByRole('button', { name: 'Review: Refund order #1001' }));
    const hide = screen.getByRole('button', { name: 'Hide: Refund order #1001' });
    expect(hide.getAttribute('aria-expanded')).toBe('true');
    const panel = document.getElementById(hide.getAttribute('aria-controls') ?? '');
    const card = within(panel as HTMLElement).getByRole('article');
    fireEvent.click(within(card).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(rowIds()).toEqual([approval.approvalId]));
    await waitFor(() =>
      expect(document.querySelector('tbody tr[data-approval-id]')?.getAttribute('data-status')).toBe('approved'),
    );
    // the gateway counts it as decided in the queue (its time-to-decision metric's channel)
    expect(decide).toHaveBeenCalledWith(approval.approvalId, expect.objectContaining({ channel: 'queue' }));
    expect(screen.getByTestId('queue-count').textContent).toBe('Pending: 0');
    fireEvent.click(screen.getByRole('button', { name: 'Hide: Refund order #1001' }));
    await waitFor(() => expect(rowIds()).toEqual([]));
    expect(screen.getByText('Nothing is waiting')).toBeTruthy();
    expect(document.activeElement?.tagName).toBe('H1');
  });
});

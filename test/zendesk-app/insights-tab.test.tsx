import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  TIME_TO_DECISION_BUCKETS,
  type ActionInsights,
  type InsightTotals,
  type Insights,
  type Suggestion,
  type Suggestions,
} from '@cheqpoint/shared';
import { createGatewayClient, GatewayError } from '../../zendesk-app/src/app/api/gateway-client';
import { Queue } from '../../zendesk-app/src/app/locations/Queue';
import { fakeClient, fakeGateway, renderWithClient } from './support';

/** Totals with every count and share the table shows set, and a day of the period per entry of `daily`. */
function totals(overrides: Partial<InsightTotals> = {}): InsightTotals {
  return {
    requests: 80,
    decided: 76,
    pending: 4,
    decidedByPolicy: 10,
    decidedByPeople: 60,
    expired: 6,
    approved: 55,
    approvedWithChanges: 5,
    rejected: 10,
    decidedWhileWaiting: 24,
    shares: {
      byPolicy: 10 / 76,
      byPeople: 60 / 76,
      expired: 6 / 76,
      approvalRate: 0.8,
      changeRate: 5 / 48,
      withinWait: 0.4,
    },
    timeToDecision: {
      count: 60,
      p50Seconds: 42,
      p90Seconds: 5400,
      buckets: [
        ...TIME_TO_DECISION_BUCKETS.map((le, i) => ({ leSeconds: le, count: i === 4 ? 40 : i === 10 ? 20 : 0 })),
        { leSeconds: null, count: 0 },
      ],
    },
    daily: [
      { day: '2026-02-28', requests: 30, approved: 20, approvedWithChanges: 2, rejected: 4, expired: 3 },
      { day: '2026-03-01', requests: 50, approved: 35, approvedWithChanges: 3, rejected: 6, expired: 3 },
    ],
    ...overrides,
  };
}

function insights(days = 30, overrides: Partial<Insights> = {}): Insights {
  const refund: ActionInsights = { ...totals(), action: 'refund_order' };
  const lookup: ActionInsights = {
    ...totals({
      requests: 1234,
      decided: 1234,
      pending: 0,
      decidedByPolicy: 1234,
      decidedByPeople: 0,
      expired: 0,
      approved: 1234,
      approvedWithChanges: 0,
      rejected: 0,
      decidedWhileWaiting: 0,
      shares: { byPolicy: 1, byPeople: 0, expired: 0, approvalRate: null, changeRate: null, withinWait: null },
      timeToDecision: { count: 0, p50Seconds: null, p90Seconds: null, buckets: [] },
    }),
    action: 'lookup_order',
  };
  return {
    days,
    from: '2026-02-28',
    to: '2026-03-01',
    generatedAt: '2026-03-01T12:00:00.000Z',
    total: totals({ requests: 1314 }),
    actions: [lookup, refund],
    agents: [],
    ...overrides,
  };
}

const smallRefunds: Suggestion = {
  kind: 'auto_approve',
  slice: { action: 'refund_order', field: 'amount', lte: 1000 },
  period: { decidedByPeople: 60, approvedUnchanged: 60, approvedWithChanges: 0, rejected: 0 },
  backtest: {
    requests: 60,
    approvedUnchanged: 60,
    approvedWithChanges: 0,
    rejected: 0,
    expired: 0,
    pending: 0,
    wouldHaveDecided: 60,
    conflicting: 0,
  },
  rule: {
    name: 'suggested-approve-refund_order-amount-lte-1000',
    action: 'refund_order',
    conditions: { amount: { lte: 1000 } },
    outcome: 'approve',
    note: 'Approved by rule',
  },
};

function suggestions(days = 30, list: Suggestion[] = [smallRefunds]): Suggestions {
  return {
    days,
    from: '2026-02-28',
    to: '2026-03-01',
    generatedAt: '2026-03-01T12:00:00.000Z',
    minApprovals: 30,
    suggestions: list,
    policy: { rules: list.map((s) => s.rule) },
  };
}

/** The text of each cell of the row of `action` (the total row for null), by column. */
function rowOf(action: string | null) {
  const table = screen.getByTestId('insights-table');
  const row = table.querySelector(action === null ? 'tr[data-total]' : `tr[data-action="${action}"]`) as HTMLElement;
  const cells = Object.fromEntries(
    [...row.querySelectorAll('[data-column]')].map((cell) => [cell.getAttribute('data-column'), cell.textContent]),
  );
  return { name: row.querySelector('th')?.textContent, ...cells };
}

const plain = (text: string | null | undefined) => text?.replace(/[\u00a0\u202f]/g, ' ');

async function openInsights(options: { gateway: ReturnType<typeof fakeGateway>; locale?: 'en' | 'de' }) {
  renderWithClient(<Queue />, { gateway: options.gateway, location: 'nav_bar', locale: options.locale ?? 'en' });
  const tab = await screen.findByRole('tab', { name: options.locale === 'de' ? 'Auswertung' : 'Insights' });
  fireEvent.click(tab);
  return tab;
}

// jsdom has no canvas: the charts are drawn in test/browser/insights.browser.test.ts, here their text alternatives
beforeEach(() => vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(null));
afterEach(() => vi.restoreAllMocks());

describe('The Insights tab', () => {
  it('When the nav bar opens, then the queue is the selected tab and nothing of Insights is asked for until its tab is opened', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    renderWithClient(<Queue />, { gateway, location: 'nav_bar' });
    expect(await screen.findByRole('tab', { name: 'Queue' })).toHaveProperty('ariaSelected', 'true');
    await screen.findByTestId('queue-count');
    expect(gateway.insights).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('tab', { name: 'Insights' }));
    await screen.findByTestId('insights-table');
    expect(gateway.insights).toHaveBeenCalledWith(30);
    expect(gateway.suggestions).toHaveBeenCalledWith(30);
    expect(screen.getByRole('tab', { name: 'Insights' })).toHaveProperty('ariaSelected', 'true');
  });

  it('When insights arrive, then each action and the total row show their numbers formatted: counts, shares, durations, a dash for nothing to divide by', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    await screen.findByTestId('insights-table');
    expect(rowOf('refund_order')).toEqual({
      name: 'Refund order',
      col_requests: '80',
      col_by_policy: '13.2%',
      col_by_people: '78.9%',
      col_approval_rate: '80%',
      col_change_rate: '10.4%',
      col_p50: '42 sec',
      col_p90: '1.5 hr',
      col_within_wait: '40%',
      col_expired: '6',
    });
    expect(rowOf('lookup_order')).toMatchObject({
      name: 'Lookup order',
      col_requests: '1,234',
      col_by_policy: '100%',
      col_approval_rate: '–',
      col_p50: '–',
    });
    expect(rowOf(null)).toMatchObject({ name: 'All actions', col_requests: '1,314' });
    // the gateway's order (most requests first), then the total
    const names = [...screen.getByTestId('insights-table').querySelectorAll('tbody th')].map((th) => th.textContent);
    expect(names).toEqual(['Lookup order', 'Refund order', 'All actions']);
  });

  it('When insights arrive, then each chart has a caption and its numbers in a table for screen readers', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    const daily = await screen.findByTestId('insights-daily-chart');
    expect(plain(daily.querySelector('figcaption')?.textContent)).toContain(
      '1,314 requests from Feb 28, 2026 to Mar 1, 2026: 55 approved, 5 approved with changes, 10 rejected, 6 expired, 4 pending.',
    );
    const dayRows = [...daily.querySelectorAll('table tbody tr')].map((tr) =>
      [...tr.children].map((c) => c.textContent),
    );
    // day, requests, approved, changed, rejected, expired, pending (what is left of the day's requests)
    expect(dayRows).toEqual([
      ['Feb 28, 2026', '30', '20', '2', '4', '3', '1'],
      ['Mar 1, 2026', '50', '35', '3', '6', '3', '3'],
    ]);
    const ttd = screen.getByTestId('insights-ttd-chart');
    expect(plain(ttd.querySelector('figcaption')?.textContent)).toContain(
      '60 decisions by people; half within 42 sec, nine in ten within 1.5 hr.',
    );
    const bucketRows = [...ttd.querySelectorAll('table tbody tr')].map((tr) =>
      [...tr.children].map((c) => plain(c.textContent)),
    );
    expect(bucketRows[4]).toEqual(['≤ 1 min', '40']);
    expect(bucketRows[10]).toEqual(['≤ 2 hr', '20']);
    expect(bucketRows.at(-1)).toEqual(['> 3 days', '0']);
  });

  it('When the agent reads German, then the tabs, headers and numbers are German', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway, locale: 'de' });
    await screen.findByTestId('insights-table');
    expect(screen.getByRole('tab', { name: 'Warteschlange' })).toBeTruthy();
    expect(screen.getByRole('columnheader', { name: 'Von Personen' })).toBeTruthy();
    const refund = rowOf('refund_order');
    expect(plain(refund.col_by_policy)).toBe('13,2 %');
    expect(plain(refund.col_p90)).toBe('1,5 Std.');
    expect(plain(refund.col_p50)).toBe('42 Sek.');
    expect(rowOf('lookup_order').col_requests).toBe('1.234');
    expect(rowOf(null).name).toBe('Alle Aktionen');
    expect(screen.getByRole('button', { name: 'Regel kopieren' })).toBeTruthy();
    expect(plain(screen.getByTestId('insights-backtest').textContent)).toBe(
      'Über alle gespeicherten Anfragen hätte sie 60 entschieden, keine davon abgelehnt oder geändert.',
    );
  });

  it('When the period changes to 7 and then 90 days, then both are fetched again for that period', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    await screen.findByTestId('insights-table');
    const select = screen.getByLabelText('Period');
    fireEvent.change(select, { target: { value: '7' } });
    await waitFor(() => expect(gateway.insights).toHaveBeenLastCalledWith(7));
    expect(gateway.suggestions).toHaveBeenLastCalledWith(7);
    fireEvent.change(select, { target: { value: '90' } });
    await waitFor(() => expect(gateway.insights).toHaveBeenLastCalledWith(90));
    expect(gateway.suggestions).toHaveBeenLastCalledWith(90);
    expect(gateway.insights.mock.calls.map(([days]) => days)).toEqual([30, 7, 90]);
    expect((select as HTMLSelectElement).value).toBe('90');
  });

  it('When a slow answer of the old period arrives after the new one, then the new period stays on screen', async () => {
    let answerOld: (value: Insights) => void = () => {};
    const insightsCall = vi.fn((days: number) =>
      days === 30
        ? new Promise<Insights>((resolve) => (answerOld = resolve))
        : Promise.resolve(insights(days, { total: totals({ requests: 7 }), actions: [] })),
    );
    const gateway = fakeGateway({ insights: insightsCall, suggestions: vi.fn(async (days) => suggestions(days, [])) });
    await openInsights({ gateway });
    fireEvent.change(await screen.findByLabelText('Period'), { target: { value: '7' } });
    await waitFor(() => expect(rowOf(null).col_requests).toBe('7'));
    await act(async () => answerOld(insights(30)));
    expect(rowOf(null).col_requests).toBe('7');
  });

  it('When the agent clicks Copy rule, then the rule JSON is on the clipboard and "Copied" shows; Copy policy copies the policy', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    const item = await screen.findByTestId('insights-suggestion');
    expect(within(item).getByRole('heading').textContent).toBe(
      'Approve Refund order automatically when amount is at most 1,000',
    );
    expect(within(item).getByTestId('insights-backtest').textContent).toBe(
      'Over every stored request it would have decided 60, none rejected or changed.',
    );
    fireEvent.click(within(item).getByRole('button', { name: 'Copy rule' }));
    await within(item).findByText('Copied');
    expect(JSON.parse(writeText.mock.calls[0]?.[0] as string)).toEqual(smallRefunds.rule);
    await waitFor(() =>
      expect(screen.getAllByTestId('live-region').map((region) => region.textContent)).toContain('Copied'),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Copy policy with these rules' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledTimes(2));
    expect(JSON.parse(writeText.mock.calls[1]?.[0] as string)).toEqual({ rules: [smallRefunds.rule] });
  });

  it('When the iframe refuses the clipboard, then the rule JSON is offered selected in a field to copy by hand', async () => {
    const writeText = vi.fn(async (_text: string) => {
      throw new DOMException('Write permission denied.', 'NotAllowedError');
    });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    fireEvent.click(await screen.findByRole('button', { name: 'Copy rule' }));
    const field = (await screen.findByLabelText(`Rule JSON of ${smallRefunds.rule.name}`)) as HTMLTextAreaElement;
    expect(JSON.parse(field.value)).toEqual(smallRefunds.rule);
    expect(field.readOnly).toBe(true);
    expect(document.activeElement).toBe(field);
    expect([field.selectionStart, field.selectionEnd]).toEqual([0, field.value.length]);
    expect(screen.queryByText('Copied')).toBeNull();
  });

  it('When no slice qualifies, then the tab says what it takes for a suggestion, and no Copy button shows', async () => {
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(async (days) => suggestions(days, [])),
    });
    await openInsights({ gateway });
    const section = await screen.findByTestId('insights-suggestions');
    expect(section.textContent).toContain(
      'a rule is suggested once people have approved (or rejected) one kind of request 30 times',
    );
    expect(within(section).queryByRole('button')).toBeNull();
  });

  it('When the period has no request, then an empty state shows instead of the table and charts', async () => {
    const empty = insights(30, { total: totals({ requests: 0, decided: 0, pending: 0 }), actions: [] });
    const gateway = fakeGateway({
      insights: vi.fn(async () => empty),
      suggestions: vi.fn(async (days) => suggestions(days, [])),
    });
    await openInsights({ gateway });
    expect(await screen.findByText('No requests in this period')).toBeTruthy();
    expect(screen.queryByTestId('insights-table')).toBeNull();
  });

  it('When the gateway sends a reply that breaks the insights contract, then the client refuses it naming the field and the tab shows the error with Retry', async () => {
    const client = fakeClient();
    const broken = { ...insights(), total: { ...insights().total, requests: -1 } };
    client.request.mockImplementation(async ({ url }: { url: string }) =>
      url.includes('suggestions') ? suggestions() : broken,
    );
    const real = createGatewayClient(client, 'https://gw.example.com');
    const refused = await real.insights(30).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ kind: 'invalid-reply' });
    expect((refused as GatewayError).message).toMatch(
      /^Reply does not match the insights contract at total\.requests: /,
    );
    expect(client.request).toHaveBeenCalledWith(
      expect.objectContaining({ url: 'https://gw.example.com/api/agent/insights?days=30', type: 'GET', secure: true }),
    );
    const badSuggestion = { ...suggestions(), suggestions: [{ ...smallRefunds, kind: 'auto_maybe' }] };
    client.request.mockResolvedValueOnce(badSuggestion);
    await expect(real.suggestions(7)).rejects.toThrow(/suggestions contract at suggestions\.0\.kind: /);
    // The backtest scans the stored requests: the call may take far longer than the usual 15 s.
    expect(client.request).toHaveBeenCalledWith(
      expect.objectContaining({ url: 'https://gw.example.com/api/agent/insights/suggestions?days=7', timeout: 60_000 }),
    );

    const gateway = fakeGateway({ insights: real.insights, suggestions: real.suggestions });
    await openInsights({ gateway });
    expect((await screen.findByRole('alert')).textContent).toContain(
      'The gateway sent a reply this app does not understand.',
    );
    client.request.mockImplementation(async ({ url }: { url: string }) =>
      url.includes('suggestions') ? suggestions() : insights(),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('insights-table')).toBeTruthy();
  });

  it('When the suggestions take longer than the insights, then the table shows at once and the section says it is looking, then shows the rules', async () => {
    let answer!: (value: Suggestions) => void;
    const gateway = fakeGateway({
      insights: vi.fn(async (days) => insights(days)),
      suggestions: vi.fn(() => new Promise<Suggestions>((resolve) => (answer = resolve))),
    });
    await openInsights({ gateway });
    expect(await screen.findByTestId('insights-table')).toBeTruthy();
    const section = screen.getByTestId('insights-suggestions');
    expect(section.getAttribute('aria-busy')).toBe('true');
    expect(within(section).getByTestId('insights-suggestions-loading').textContent).toMatch(/^Looking for rules/);
    expect(within(section).queryByTestId('insights-suggestion')).toBeNull();
    await act(async () => answer(suggestions(30)));
    expect(await within(section).findByTestId('insights-suggestion')).toBeTruthy();
    expect(section.getAttribute('aria-busy')).toBe('false');
    expect(within(section).queryByTestId('insights-suggestions-loading')).toBeNull();
  });

  it('When the suggestions fail and the insights do not, then the table stays and the section shows the error with Retry, which asks again', async () => {
    const failing = vi.fn(async (_days: number): Promise<Suggestions> => {
      throw new GatewayError('unreachable', 'down');
    });
    const gateway = fakeGateway({ insights: vi.fn(async (days) => insights(days)), suggestions: failing });
    await openInsights({ gateway });
    expect(await screen.findByTestId('insights-table')).toBeTruthy();
    const section = screen.getByTestId('insights-suggestions');
    expect(await within(section).findByRole('alert')).toBeTruthy();
    failing.mockImplementation(async () => suggestions(30));
    fireEvent.click(within(section).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('insights-suggestion')).toBeTruthy();
    expect(failing).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId('insights-table')).toBeTruthy();
  });

  it('When the suggestions answer before the insights, then both show once the insights are in', async () => {
    let answer!: (value: Insights) => void;
    const gateway = fakeGateway({
      insights: vi.fn(() => new Promise<Insights>((resolve) => (answer = resolve))),
      suggestions: vi.fn(async (days) => suggestions(days)),
    });
    await openInsights({ gateway });
    await waitFor(() => expect(gateway.suggestions).toHaveBeenCalled());
    await act(async () => answer(insights(30)));
    expect(await screen.findByTestId('insights-table')).toBeTruthy();
    expect(await screen.findByTestId('insights-suggestion')).toBeTruthy();
  });
});

/**
 * Issue 19: the nav bar's Insights tab in headless Chromium through the harness and a real gateway.
 * The history is seeded through the public API (the flow key asks, the agent key decides) on three days
 * of the gateway's clock: 60 and 20 days ago and today, so the 7, 30 and 90 day periods each count
 * something else. Store credits approved unchanged by one agent (enough in 30 days for a suggestion, not
 * in 7), refunds rejected with notes and one approved with a change, a lookup decided by a policy rule,
 * an archive that expires, a refund decided while its requester waited and one left pending.
 *
 * The tab's Chart.js chunk is fetched only when the tab is clicked; the table, the charts' text
 * alternatives and the suggested rule show what GET /api/agent/insights(/suggestions) answer for the
 * same period (read by the test, never hard-coded), for 30 days and again after choosing 7, 90 and 30;
 * Copy rule gives the rule's JSON (on the clipboard where the frame may write it, else in the documented
 * read-only field); the page ends with its content (no empty scroll) and a dark tab has no white canvas
 * below it; axe-core finds nothing serious in light and dark.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Insights, InsightTotals, Policy, Suggestions } from '@cheqpoint/shared';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { call } from '../support/http.js';
import { axeViolations, decideViaApi, saveScreenshot, startStack, submit, type Stack } from './browser.support.js';

const DAY_MS = 24 * 3600 * 1000;

/** The gateway's clock: real time shifted by an offset the seeding moves (to past days, then back). */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

const ADA_AGENT = { id: '381', name: 'Ada Lovelace' };
const GRACE_AGENT = { id: '382', name: 'Grace Hopper' };

const POLICY: Policy = {
  rules: [
    { name: 'order lookups', action: 'lookup_order', outcome: 'approve' },
    {
      name: 'refunds',
      action: 'refund_order',
      outcome: 'require_human',
      editableFields: { amount: { type: 'number' } },
    },
  ],
  expiries: { archive_ticket: 60 },
};

let stack: Stack;
/** The files of the built app holding Chart.js (its own error text is kept by the minifier). */
let chartChunks: string[];
let ticket = 9000;

const credit = (amount: number) => ({
  action: 'issue_store_credit',
  summary: `Store credit of EUR ${amount}`,
  details: { ticket_id: String(++ticket), amount, currency: 'EUR' },
  riskLevel: 'low',
  agentName: 'Support AI',
});
const refund = (amount: number) => ({
  action: 'refund_order',
  summary: `Refund of EUR ${amount}`,
  details: { ticket_id: String(++ticket), amount, currency: 'EUR' },
  agentName: 'Support AI',
});

async function decide(approvalId: string, body: Record<string, unknown>) {
  const res = await decideViaApi(stack, approvalId, body);
  if (res.status !== 200) throw new Error(`decision answered ${res.status}: ${res.text}`);
}

/** Requests come in, people decide `afterSeconds` later (the clock moved, so time to decision is that). */
async function askAndDecide(
  requests: Record<string, unknown>[],
  afterSeconds: number,
  decision: (i: number, request: Record<string, unknown>) => Record<string, unknown>,
) {
  const ids: string[] = [];
  for (const request of requests) ids.push(await submit(stack, request));
  offsetMs += afterSeconds * 1000;
  for (const [i, id] of ids.entries()) await decide(id, decision(i, requests[i] as Record<string, unknown>));
}

async function seed() {
  // 60 days ago (in the 90-day period only): refunds Grace rejected with notes
  offsetMs = -60 * DAY_MS;
  await askAndDecide([refund(400), refund(650), refund(900)], 1800, () => ({
    decision: 'reject',
    agent: GRACE_AGENT,
    note: 'Over the refund limit for this order',
  }));
  // 20 days ago (in 30 and 90): 20 small store credits Ada approved unchanged after 40 s, two refunds
  // rejected with notes and one approved with a smaller amount
  offsetMs = -20 * DAY_MS;
  await askAndDecide(
    Array.from({ length: 20 }, (_, i) => credit(5 + (i % 5) * 5)),
    40,
    () => ({ decision: 'approve', agent: ADA_AGENT }),
  );
  await askAndDecide([refund(120), refund(300)], 600, () => ({
    decision: 'reject',
    agent: GRACE_AGENT,
    note: 'The order was delivered',
  }));
  await askAndDecide([refund(80)], 5400, (_, request) => ({
    decision: 'approve',
    agent: ADA_AGENT,
    modifiedDetails: { ...(request['details'] as object), amount: 60 },
  }));
  // today (in every period): 14 more store credits after 8 s, a lookup the policy approves, an archive
  // that expires, a refund decided while its requester holds the call, and one left pending
  offsetMs = 0;
  await askAndDecide(
    Array.from({ length: 14 }, (_, i) => credit(5 + (i % 5) * 5)),
    8,
    () => ({ decision: 'approve', agent: ADA_AGENT }),
  );
  const lookup = await call(stack.gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: stack.keys.flowKey,
    body: { action: 'lookup_order', summary: 'Look up order 7781', details: { ticket_id: String(++ticket) } },
  });
  if (lookup.body.status !== 'approved') throw new Error(`the lookup was not approved by the rule: ${lookup.text}`);
  await submit(stack, {
    action: 'archive_ticket',
    summary: 'Archive ticket',
    details: { ticket_id: String(++ticket) },
  });
  const waited = await submit(stack, refund(35));
  const held = call(stack.gateway.url, 'GET', `/api/approvals/${waited}?wait=20`, { key: stack.keys.flowKey });
  for (let i = 0; i < 200 && stack.gateway.waiter.count === 0; i++) await new Promise((r) => setTimeout(r, 25));
  await decide(waited, { decision: 'approve', agent: ADA_AGENT });
  if ((await held).status !== 200) throw new Error('the held call did not end with the decision');
  await submit(stack, refund(45));
  offsetMs += 61_000; // the archive's 60 s are over
  await stack.gateway.sweepNow();
}

beforeAll(async () => {
  const distDir = inject('appDistDir');
  const assets = path.join(distDir, 'assets');
  chartChunks = readdirSync(assets).filter(
    (name) =>
      name.endsWith('.js') && readFileSync(path.join(assets, name), 'utf8').includes('Canvas is already in use'),
  );
  stack = await startStack(distDir, { label: 'browser_insights', clock });
  await policiesRepository(stack.gateway.conn).setPolicy(stack.keys.accountId, POLICY);
  await seed();
});

afterAll(async () => {
  await stack?.close();
});

async function insightsOf(days: number): Promise<Insights> {
  const res = await call(stack.gateway.url, 'GET', `/api/agent/insights?days=${days}`, { key: stack.keys.agentKey });
  if (res.status !== 200) throw new Error(`insights answered ${res.status}: ${res.text}`);
  return res.body as Insights;
}

async function suggestionsOf(days: number): Promise<Suggestions> {
  const res = await call(stack.gateway.url, 'GET', `/api/agent/insights/suggestions?days=${days}`, {
    key: stack.keys.agentKey,
  });
  if (res.status !== 200) throw new Error(`suggestions answered ${res.status}: ${res.text}`);
  return res.body as Suggestions;
}

/**
 * The nav bar in a fresh browser context. `clipboard`: the clipboard permissions granted and every iframe
 * of the host page created with `allow="clipboard-read; clipboard-write"`, as a host delegating the
 * clipboard to its app frames would (the harness delegates nothing, so Chromium refuses it there).
 */
async function openNavBar(
  colorScheme: 'light' | 'dark' = 'light',
  options: { clipboard?: boolean; viewport?: { width: number; height: number } } = {},
) {
  const context = await stack.browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    ...(options.clipboard ? { permissions: ['clipboard-read', 'clipboard-write'] } : {}),
  });
  if (options.clipboard) {
    await context.addInitScript(`
      if (window.top === window) {
        const create = Document.prototype.createElement;
        Document.prototype.createElement = function (...args) {
          const el = create.apply(this, args);
          if (el instanceof HTMLIFrameElement) el.allow = 'clipboard-read; clipboard-write';
          return el;
        };
      }
    `);
  }
  const page = await context.newPage();
  page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
  const scripts: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(path.basename(new URL(request.url()).pathname));
  });
  await page.goto(`${stack.harness.url}?${new URLSearchParams({ location: 'nav_bar', colorScheme })}`);
  const nav = page.frameLocator('#app-nav_bar');
  return { page, nav, scripts, close: () => context.close() };
}

/** The gateway calls the app made through Zendesk's proxy for one path and period. */
const proxiedCalls = (pathname: string, days: number) =>
  stack.harness.proxied.filter((r) => {
    const url = new URL(r.url.replace('{{setting.gatewayUrl}}', 'http://gateway'), 'http://gateway');
    return url.pathname === pathname && url.searchParams.get('days') === String(days);
  }).length;

/** The Insights tab's panel (the queue's panel stays mounted beside it, with its own live region). */
const insightsPanel = (nav: FrameLocator) => nav.getByRole('tabpanel', { name: 'Insights' });

async function openInsights(nav: FrameLocator) {
  await nav.getByRole('tab', { name: 'Insights' }).click();
  await nav.getByTestId('insights-table').waitFor({ timeout: 20_000 });
}

// ---- reading what the tab shows (en-US) back into numbers, to compare with the API's answer -----------

const count = (text: string) => {
  expect(text, 'a count').toMatch(/^\d{1,3}(,\d{3})*$/);
  return Number(text.replace(/,/g, ''));
};

/** `66.7%` → 66.7; the dash → null. */
const percent = (text: string) => {
  if (text === '–') return null;
  expect(text, 'a share').toMatch(/^\d+(\.\d)?%$/);
  return Number(text.slice(0, -1));
};

const UNIT_SECONDS: Record<string, number> = { sec: 1, min: 60, hr: 3600, day: 86_400, days: 86_400 };

/** `4.5 min` → [4.5, 60]; the dash → null. */
const duration = (text: string): [number, number] | null => {
  if (text === '–') return null;
  const match = /^(\d+(?:\.\d)?)\s(sec|min|hr|days?)$/.exec(text);
  expect(match, `a duration: ${text}`).not.toBeNull();
  return [Number(match?.[1]), UNIT_SECONDS[match?.[2] as string] as number];
};

/** The share the API gives (0 to 1, or null) as the tab must show it: a percentage, one decimal at most. */
const asPercent = (share: number | null) => (share === null ? null : Math.round(share * 1000) / 10);

/** A duration shown with one decimal in its unit is the API's seconds to within half a tenth of that unit. */
function expectDuration(text: string, seconds: number | null, what: string) {
  const shown = duration(text);
  if (seconds === null) return expect(shown, what).toBeNull();
  expect(shown, what).not.toBeNull();
  const [value, unit] = shown as [number, number];
  expect(Math.abs(value * unit - seconds), `${what}: ${text} for ${seconds} s`).toBeLessThanOrEqual(unit * 0.05 + 1e-9);
}

type ShownRow = { action: string | null; isTotal: boolean; name: string; cells: Record<string, string> };

async function shownRows(nav: FrameLocator): Promise<ShownRow[]> {
  return nav.locator('[data-testid="insights-table"] tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      action: tr.getAttribute('data-action'),
      isTotal: tr.hasAttribute('data-total'),
      name: tr.querySelector('th')?.textContent ?? '',
      cells: Object.fromEntries(
        [...tr.querySelectorAll('td[data-column]')].map((td) => [td.getAttribute('data-column'), td.textContent]),
      ) as Record<string, string>,
    })),
  );
}

function expectRow(row: ShownRow, api: InsightTotals, what: string) {
  const { cells } = row;
  expect(count(cells['col_requests'] ?? ''), `${what} requests`).toBe(api.requests);
  expect(percent(cells['col_by_policy'] ?? ''), `${what} by policy`).toBe(asPercent(api.shares.byPolicy));
  expect(percent(cells['col_by_people'] ?? ''), `${what} by people`).toBe(asPercent(api.shares.byPeople));
  expect(percent(cells['col_approval_rate'] ?? ''), `${what} approved`).toBe(asPercent(api.shares.approvalRate));
  expect(percent(cells['col_change_rate'] ?? ''), `${what} changed`).toBe(asPercent(api.shares.changeRate));
  expectDuration(cells['col_p50'] ?? '', api.timeToDecision.p50Seconds, `${what} p50`);
  expectDuration(cells['col_p90'] ?? '', api.timeToDecision.p90Seconds, `${what} p90`);
  expect(percent(cells['col_within_wait'] ?? ''), `${what} within the wait`).toBe(asPercent(api.shares.withinWait));
  expect(count(cells['col_expired'] ?? ''), `${what} expired`).toBe(api.expired);
}

/** The table has one row per action of the API's answer, in its order, then the total; each as the API says. */
async function expectTableAsApi(nav: FrameLocator, api: Insights) {
  const rows = await shownRows(nav);
  expect(rows.map((r) => r.action)).toEqual([...api.actions.map((a) => a.action), null]);
  expect(rows.map((r) => r.isTotal)).toEqual([...api.actions.map(() => false), true]);
  expect(rows.at(-1)?.name).toBe('All actions');
  for (const [i, action] of api.actions.entries()) expectRow(rows[i] as ShownRow, action, action.action);
  expectRow(rows.at(-1) as ShownRow, api.total, 'total');
}

/** Each chart is an image labelled by its caption, with a summary and a numbers table from the API. */
async function expectChartsAsApi(nav: FrameLocator, api: Insights) {
  const { total } = api;
  const daily = nav.getByTestId('insights-daily-chart');
  const dailySummary = (await daily.locator('figcaption p').textContent()) ?? '';
  const summaryNumbers =
    /^(\d+) requests from .+ to .+: (\d+) approved, (\d+) approved with changes, (\d+) rejected, (\d+) expired, (\d+) pending\.$/
      .exec(dailySummary)
      ?.slice(1)
      .map(Number);
  const pending = total.requests - total.approved - total.approvedWithChanges - total.rejected - total.expired;
  expect(summaryNumbers, dailySummary).toEqual([
    total.requests,
    total.approved,
    total.approvedWithChanges,
    total.rejected,
    total.expired,
    pending,
  ]);
  // the hidden numbers table: one row per day of the period, oldest first, the day's requests and outcomes
  const dayRows = await daily
    .locator('table tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
  expect(dayRows).toEqual(
    total.daily.map((d) => [
      d.requests,
      d.approved,
      d.approvedWithChanges,
      d.rejected,
      d.expired,
      d.requests - d.approved - d.approvedWithChanges - d.rejected - d.expired,
    ]),
  );

  const ttd = nav.getByTestId('insights-ttd-chart');
  const ttdSummary = (await ttd.locator('figcaption p').textContent()) ?? '';
  const ttdMatch = /^(\d+) decisions by people; half within (.+), nine in ten within (.+)\.$/.exec(ttdSummary);
  expect(ttdMatch, ttdSummary).not.toBeNull();
  expect(Number(ttdMatch?.[1])).toBe(total.timeToDecision.count);
  expectDuration(ttdMatch?.[2] ?? '', total.timeToDecision.p50Seconds, 'caption p50');
  expectDuration(ttdMatch?.[3] ?? '', total.timeToDecision.p90Seconds, 'caption p90');
  const bucketCounts = await ttd
    .locator('table tbody tr td')
    .evaluateAll((tds) => tds.map((td) => Number(td.textContent)));
  expect(bucketCounts).toEqual(total.timeToDecision.buckets.map((b) => b.count));

  for (const figure of [daily, ttd]) {
    const canvas = figure.locator('canvas');
    expect(await canvas.getAttribute('role')).toBe('img');
    const captionId = await figure.locator('figcaption').getAttribute('id');
    expect(captionId).toBeTruthy();
    expect(await canvas.getAttribute('aria-labelledby')).toBe(captionId);
    // Chart.js drew something: some pixel of the canvas is not transparent
    const drawn = await canvas.evaluate((el) => {
      const c = el as any;
      const data: number[] = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? [];
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) return true;
      return false;
    });
    expect(drawn).toBe(true);
  }
}

/** The suggestions shown are the API's: each rule with its period and backtest, or the "none" text. */
async function expectSuggestionsAsApi(nav: FrameLocator, api: Suggestions) {
  const shown = nav.getByTestId('insights-suggestion');
  expect(await shown.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-rule')))).toEqual(
    api.suggestions.map((s) => s.rule.name),
  );
  if (api.suggestions.length === 0) {
    expect(await nav.getByTestId('insights-suggestions').textContent()).toContain(
      `No suggestion for this period: a rule is suggested once people have approved (or rejected) one kind of request ${api.minApprovals} times`,
    );
  }
  for (const [i, suggestion] of api.suggestions.entries()) {
    const item = shown.nth(i);
    const title = (await item.locator('h3').textContent()) ?? '';
    const bound = /when (\w+) is at most (\d+(?:\.\d+)?)$/.exec(title);
    expect([bound?.[1] ?? null, bound ? Number(bound[2]) : null], title).toEqual([
      suggestion.slice.field,
      suggestion.slice.lte,
    ]);
    expect(await item.locator('p').first().textContent()).toBe(
      `In this period people approved ${suggestion.period.approvedUnchanged} unchanged, none rejected or changed.`,
    );
    expect(await item.getByTestId('insights-backtest').textContent()).toBe(
      `Over every stored request it would have decided ${suggestion.backtest.wouldHaveDecided}, none rejected or changed.`,
    );
  }
}

async function navFrame(page: Page) {
  const frame = await (await page.locator('#app-nav_bar').elementHandle())?.contentFrame();
  if (!frame) throw new Error('no nav_bar frame');
  return frame;
}

/** How far the frame's document scrolls past the end of the app's content, or of the frame if it is taller (px). */
async function scrollPastContent(page: Page) {
  return (await navFrame(page)).evaluate(() => {
    const { document, window } = globalThis as any;
    const root = document.getElementById('root');
    const end = Math.max(Math.ceil(root.getBoundingClientRect().bottom + window.scrollY), window.innerHeight);
    return (document.documentElement.scrollHeight as number) - end;
  });
}

/** The colour [r, g, b] on screen a few pixels above the bottom of the nav bar's frame (or of the window). */
async function colourAtFrameBottom(page: Page): Promise<number[]> {
  const box = await page.locator('#app-nav_bar').boundingBox();
  const viewport = page.viewportSize();
  if (!box || !viewport) throw new Error('no nav_bar frame on screen');
  const y = Math.min(box.y + box.height, viewport.height) - 8;
  const png = await page.screenshot({ clip: { x: box.x + 8, y, width: 4, height: 4 } });
  return page.evaluate(async (base64) => {
    const { document, Image } = globalThis as any;
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return [...(context.getImageData(0, 0, 1, 1).data.slice(0, 3) as Uint8ClampedArray)];
  }, png.toString('base64'));
}

async function axeBlocking(page: Page) {
  return (await axeViolations(await navFrame(page))).blocking;
}

describe('The nav bar’s Insights tab', () => {
  it('When the seeded history is there, then the API counts it on the days it was seeded (the premise of the browser checks)', async () => {
    const [week, month, quarter] = [await insightsOf(7), await insightsOf(30), await insightsOf(90)];
    expect([week.total.requests, month.total.requests, quarter.total.requests]).toEqual([18, 41, 44]);
    expect(month.total).toMatchObject({ decidedByPolicy: 1, expired: 1, pending: 1, approvedWithChanges: 1 });
    expect(month.total.decidedWhileWaiting).toBe(1);
    expect((await suggestionsOf(7)).suggestions).toEqual([]);
    expect((await suggestionsOf(30)).suggestions.map((s) => [s.kind, s.slice.action])).toEqual([
      ['auto_approve', 'issue_store_credit'],
    ]);
  });

  it('When the agent opens Insights, then Chart.js is fetched only then, and the table, charts and suggestion show the API’s numbers; each period re-reads', async () => {
    expect(chartChunks.length, 'a built chunk holds Chart.js').toBeGreaterThan(0);
    const { page, nav, scripts, close } = await openNavBar();
    try {
      await nav.getByRole('tab', { name: 'Queue' }).waitFor({ timeout: 20_000 });
      await nav.getByTestId('queue-count').waitFor({ timeout: 20_000 });
      expect(
        scripts.filter((s) => chartChunks.includes(s)),
        'Chart.js before Insights is opened',
      ).toEqual([]);
      expect(scripts).not.toContain('InsightsView.js');
      expect(proxiedCalls('/api/agent/insights', 30)).toBe(0);
      expect(proxiedCalls('/api/agent/insights/suggestions', 30)).toBe(0);

      await openInsights(nav);
      expect(scripts).toContain('InsightsView.js');
      // read on opening (the tests' build is React's development one: StrictMode may read twice)
      expect(proxiedCalls('/api/agent/insights', 30)).toBeGreaterThan(0);
      expect(proxiedCalls('/api/agent/insights/suggestions', 30)).toBeGreaterThan(0);
      expect(
        chartChunks.every((chunk) => scripts.includes(chunk)),
        `${chartChunks} in ${scripts}`,
      ).toBe(true);
      expect(await nav.getByRole('tab', { name: 'Insights' }).getAttribute('aria-selected')).toBe('true');
      expect(await nav.getByLabel('Period').inputValue()).toBe('30');

      const month = await insightsOf(30);
      expect(await insightsPanel(nav).getByTestId('live-region').textContent()).toBe(
        `Insights of the last 30 days: ${month.total.requests} requests`,
      );
      await expectTableAsApi(nav, month);
      await expectChartsAsApi(nav, month);
      await expectSuggestionsAsApi(nav, await suggestionsOf(30));
      await saveScreenshot(page, 'insights-30-light.png');

      for (const days of [7, 90, 30]) {
        const before = [
          proxiedCalls('/api/agent/insights', days),
          proxiedCalls('/api/agent/insights/suggestions', days),
        ];
        await nav.getByLabel('Period').selectOption(String(days));
        await expect
          .poll(() => nav.getByTestId('insights-daily-chart').locator('table tbody tr').count(), { timeout: 20_000 })
          .toBe(days);
        await nav.getByTestId('insights-table').waitFor();
        expect([
          proxiedCalls('/api/agent/insights', days),
          proxiedCalls('/api/agent/insights/suggestions', days),
        ]).toEqual(before.map((n) => n + 1));
        const api = await insightsOf(days);
        expect(await nav.getByTestId('insights-range').textContent()).toMatch(/ to .*, counted by the UTC day/);
        await expectTableAsApi(nav, api);
        await expectChartsAsApi(nav, api);
        await expectSuggestionsAsApi(nav, await suggestionsOf(days));
        // the charts' hidden numbers tables (a row per day) leave no empty page to scroll below the tab
        expect(await scrollPastContent(page), `${days} days`).toBeLessThanOrEqual(1);
      }
    } finally {
      await close();
    }
  });

  it('When the app’s frame may not use the clipboard (the harness’s iframe delegates none), then Copy rule gives the rule’s JSON selected in a read-only field', async () => {
    const rule = (await suggestionsOf(30)).suggestions[0]?.rule;
    expect(rule).toBeDefined();
    const { nav, close } = await openNavBar();
    try {
      await openInsights(nav);
      const item = nav.getByTestId('insights-suggestion').first();
      await item.getByRole('button', { name: 'Copy rule' }).click();
      const fallback = item.getByRole('textbox', { name: `Rule JSON of ${rule?.name}` });
      await fallback.waitFor({ timeout: 10_000 });
      const text = await fallback.inputValue();
      expect(JSON.parse(text)).toEqual(rule);
      expect(await fallback.getAttribute('readonly')).not.toBeNull();
      // the JSON is ready to copy by hand: focused and selected whole
      const selection = await fallback.evaluate((el) => {
        const area = el as any;
        return {
          focused: area.ownerDocument.activeElement === area,
          selected: area.value.slice(area.selectionStart, area.selectionEnd),
        };
      });
      expect(selection).toEqual({ focused: true, selected: text });
      expect(await item.getByText('The clipboard is not available here').count()).toBe(1);
      expect(await item.getByText('Copied').count()).toBe(0);
    } finally {
      await close();
    }
  });

  it('When the host lets the app’s frame write the clipboard, then Copy rule puts the rule’s JSON on it and says Copied', async () => {
    const rule = (await suggestionsOf(30)).suggestions[0]?.rule;
    expect(rule).toBeDefined();
    const { page, nav, close } = await openNavBar('light', {
      clipboard: true,
    });
    try {
      await openInsights(nav);
      const item = nav.getByTestId('insights-suggestion').first();
      await item.getByRole('button', { name: 'Copy rule' }).click();
      await item.getByText('Copied', { exact: true }).waitFor({ timeout: 10_000 });
      expect(await insightsPanel(nav).getByTestId('live-region').textContent()).toBe('Copied');
      expect(await item.getByRole('textbox').count()).toBe(0);
      const copied: string = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText());
      expect(JSON.parse(copied)).toEqual(rule);
    } finally {
      await close();
    }
  });

  it('When the tab is dark and shorter than its frame, then the frame below it is dark too, not a white canvas', async () => {
    const { page, nav, close } = await openNavBar('dark', { viewport: { width: 1280, height: 2400 } });
    try {
      await openInsights(nav);
      await nav.getByTestId('insights-suggestion').first().waitFor();
      expect(await scrollPastContent(page)).toBeLessThanOrEqual(1);
      const contentBottom = await (
        await navFrame(page)
      ).evaluate(() => (globalThis as any).document.getElementById('root').getBoundingClientRect().bottom as number);
      const frameBox = await page.locator('#app-nav_bar').boundingBox();
      expect(contentBottom + 50, 'the content ends well above the frame').toBeLessThan(frameBox?.height ?? 0);
      await saveScreenshot(page, 'insights-dark-tall.png');
      const [r = 255, g = 255, b = 255] = await colourAtFrameBottom(page);
      expect(Math.max(r, g, b), `below the content: rgb(${r}, ${g}, ${b})`).toBeLessThan(64);
    } finally {
      await close();
    }
  });

  it('When axe-core checks the Insights tab in light and dark mode, then there is no serious or critical violation', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, nav, close } = await openNavBar(colorScheme);
      try {
        await openInsights(nav);
        await nav.getByTestId('insights-suggestion').first().waitFor();
        await saveScreenshot(page, `insights-${colorScheme}.png`);
        const blocking = await axeBlocking(page);
        expect(blocking, `insights ${colorScheme}: ${JSON.stringify(blocking)}`).toEqual([]);
        // and with the clipboard's fallback field open below the suggestion
        const item = nav.getByTestId('insights-suggestion').first();
        await item.getByRole('button', { name: 'Copy rule' }).click();
        await item.getByRole('textbox').waitFor({ timeout: 10_000 });
        await item.scrollIntoViewIfNeeded();
        await saveScreenshot(page, `insights-${colorScheme}-copy-fallback.png`);
        const withFallback = await axeBlocking(page);
        expect(withFallback, `insights ${colorScheme} fallback: ${JSON.stringify(withFallback)}`).toEqual([]);
      } finally {
        await close();
      }
    }
  });
});

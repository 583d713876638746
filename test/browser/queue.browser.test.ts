/**
 * The nav-bar queue in headless Chromium through the harness and a real gateway: a table sorted by expiry,
 * risk and age, filtered by action and risk, paged, opening tickets, deciding inline, showing ticket subjects.
 * Each test has its own account (and harness), so the queues of different tests never mix.
 */
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, type IHarness, type IHarnessUser } from '../../zendesk-app/harness/harness.server.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import type { Policy } from '@cheqpoint/shared';
import { call } from '../support/http.js';
import { ADA, axeViolations, saveScreenshot, startStack, type Stack } from './browser.support.js';

let stack: Stack;
const pages: Page[] = [];
const harnesses: IHarness[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'));
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  for (const harness of harnesses) await harness.close().catch(() => {});
  await stack?.close();
});

type QueueAccount = {
  harness: IHarness;
  agentKey: string;
  submit: (body: Record<string, unknown>) => Promise<string>;
  open: (
    viewport?: { width: number; height: number },
    query?: Record<string, string>,
    beforeGoto?: (page: Page) => Promise<void>,
  ) => Promise<Opened>;
};
type Opened = { page: Page; queue: FrameLocator };

/** A fresh account with its own harness (optionally a policy, ticket subjects, the agent, a default currency). */
async function queueAccount(
  name: string,
  options: {
    policy?: Policy;
    ticketSubjects?: Record<string, string>;
    currentUser?: IHarnessUser;
    defaultCurrency?: string;
  } = {},
): Promise<QueueAccount> {
  const account = await stack.gateway.createAccount(name);
  if (options.policy) await policiesRepository(stack.gateway.conn).setPolicy(account.accountId, options.policy);
  const harness = await startHarness({
    distDir: inject('appDistDir'),
    settings: {
      gatewayUrl: stack.gateway.url,
      agentKey: account.agentKey,
      addTicketNote: true,
      ...(options.defaultCurrency ? { defaultCurrency: options.defaultCurrency } : {}),
    },
    currentUser: options.currentUser ?? ADA,
    ...(options.ticketSubjects ? { ticketSubjects: options.ticketSubjects } : {}),
  });
  harnesses.push(harness);
  return {
    harness,
    agentKey: account.agentKey,
    submit: async (body) => {
      const res = await call(stack.gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: account.flowKey,
        body,
      });
      if (res.status !== 202) throw new Error(`inbound answered ${res.status}: ${res.text}`);
      return res.body.approvalId as string;
    },
    open: async (viewport = { width: 1024, height: 768 }, query = {}, beforeGoto) => {
      const page = await stack.browser.newPage({ viewport });
      pages.push(page);
      page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
      if (beforeGoto) await beforeGoto(page);
      await page.goto(`${harness.url}?${new URLSearchParams({ location: 'nav_bar', ...query })}`);
      return { page, queue: page.frameLocator('#app-nav_bar') };
    },
  };
}

const request = (ticket: string, action: string, extra: Record<string, unknown> = {}) => ({
  action,
  summary: `${action} for ticket ${ticket}`,
  details: { ticket_id: ticket },
  agentName: 'Support AI',
  ...extra,
});

async function getApprovalAs(agentKey: string, approvalId: string) {
  return (await call(stack.gateway.url, 'GET', `/api/approvals/${approvalId}`, { key: agentKey })).body;
}

const rows = (queue: FrameLocator) => queue.locator('tbody tr[data-approval-id]');
const rowOf = (queue: FrameLocator, approvalId: string) => queue.locator(`tbody tr[data-approval-id="${approvalId}"]`);
const rowIds = (queue: FrameLocator) =>
  rows(queue).evaluateAll((els) => els.map((el) => el.getAttribute('data-approval-id')));
const sortOf = (queue: FrameLocator, column: string) =>
  queue.locator('th', { has: queue.getByRole('button', { name: column, exact: true }) }).getAttribute('aria-sort');

describe('The nav-bar queue', () => {
  it('When approvals expire at different times, then the soonest expiry is first, and Risk and Age sort on their headers', async () => {
    const account = await queueAccount('queue-sort', {
      policy: {
        rules: [],
        expiries: {
          refund_order: 7200,
          cancel_subscription: 600,
          update_shipping_address: 3600,
          close_account: 86_400,
        },
      },
    });
    // created in this order (oldest first); expiries and risks deliberately in other orders
    const refund = await account.submit(request('8101', 'refund_order', { riskLevel: 'low' }));
    const cancel = await account.submit(request('8102', 'cancel_subscription', { riskLevel: 'critical' }));
    const address = await account.submit(request('8103', 'update_shipping_address', { riskLevel: 'medium' }));
    const close = await account.submit(request('8104', 'close_account', { riskLevel: 'high' }));

    const { queue } = await account.open();
    await rows(queue).nth(3).waitFor({ timeout: 15_000 });
    expect(await rowIds(queue)).toEqual([cancel, address, refund, close]);
    expect(await sortOf(queue, 'Expires')).toBe('ascending');
    expect(await sortOf(queue, 'Risk')).toBe('none');
    expect(await rowOf(queue, cancel).locator('td').nth(5).textContent()).toMatch(/^in 1[0-9] min\.$/);

    await queue.getByRole('button', { name: 'Risk', exact: true }).click();
    expect(await rowIds(queue)).toEqual([cancel, close, address, refund]);
    expect(await sortOf(queue, 'Risk')).toBe('descending');
    expect(await sortOf(queue, 'Expires')).toBe('none');
    await queue.getByRole('button', { name: 'Risk', exact: true }).click();
    expect(await rowIds(queue)).toEqual([refund, address, close, cancel]);
    expect(await sortOf(queue, 'Risk')).toBe('ascending');

    await queue.getByRole('button', { name: 'Age', exact: true }).click();
    expect(await rowIds(queue)).toEqual([refund, cancel, address, close]);
    expect(await sortOf(queue, 'Age')).toBe('descending');
    await queue.getByRole('button', { name: 'Age', exact: true }).click();
    expect(await rowIds(queue)).toEqual([close, address, cancel, refund]);

    await queue.getByRole('button', { name: 'Expires', exact: true }).click();
    expect(await rowIds(queue)).toEqual([cancel, address, refund, close]);
    expect(await sortOf(queue, 'Expires')).toBe('ascending');
  });

  it('When filtering by action and by risk, then only matching rows stay, on a toolbar that stays on one line', async () => {
    const account = await queueAccount('queue-filter');
    const lowRefund = await account.submit(request('8201', 'refund_order', { riskLevel: 'low' }));
    const highRefund = await account.submit(request('8202', 'refund_order', { riskLevel: 'high' }));
    const highCancel = await account.submit(request('8203', 'cancel_subscription', { riskLevel: 'high' }));
    const noRisk = await account.submit(request('8204', 'cancel_subscription'));

    for (const viewport of [
      { width: 1024, height: 768 },
      { width: 768, height: 900 },
    ]) {
      const { page, queue } = await account.open(viewport);
      await rows(queue).nth(3).waitFor({ timeout: 15_000 });
      await saveScreenshot(page, `queue-${viewport.width}.png`);
      // [1] the toolbar's controls share one line: every control overlaps the others vertically
      const boxes = await queue
        .locator('main select, main button:has-text("Refresh")')
        .evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => [r.top, r.bottom]));
      const lowestTop = Math.max(...boxes.map(([top]) => top as number));
      const highestBottom = Math.min(...boxes.map(([, bottom]) => bottom as number));
      expect(boxes.length).toBe(3);
      expect(lowestTop, `toolbar at ${viewport.width} px: ${JSON.stringify(boxes)}`).toBeLessThan(highestBottom);
      // nothing overflows sideways at this width
      const overflow = await queue
        .locator('main')
        .evaluate(
          (main) => main.ownerDocument.documentElement.scrollWidth - main.ownerDocument.documentElement.clientWidth,
        );
      expect(overflow, `horizontal overflow at ${viewport.width} px`).toBeLessThanOrEqual(0);
    }

    const { queue } = await account.open();
    await rows(queue).nth(3).waitFor({ timeout: 15_000 });
    await queue.getByLabel('Action').selectOption('refund_order');
    await expect.poll(async () => new Set(await rowIds(queue))).toEqual(new Set([lowRefund, highRefund]));
    await queue.getByLabel('Risk').selectOption('high');
    await expect.poll(() => rowIds(queue)).toEqual([highRefund]);
    expect(await queue.getByTestId('queue-count').textContent()).toBe('Pending: 1');

    await queue.getByLabel('Action').selectOption('');
    await expect.poll(async () => new Set(await rowIds(queue))).toEqual(new Set([highRefund, highCancel]));
    await queue.getByLabel('Risk').selectOption('none');
    await expect.poll(() => rowIds(queue)).toEqual([noRisk]);

    await queue.getByLabel('Risk').selectOption('critical');
    await queue.getByText('No approvals match these filters').waitFor();
    await queue.getByRole('button', { name: 'Show all' }).click();
    await expect.poll(async () => (await rowIds(queue)).length).toBe(4);
  });

  it('When 30 approvals are pending, then 25 show per page and Next and Previous page through the rest, with subjects fetched per page', async () => {
    const subjects = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [String(8300 + i), `Customer question number ${i}`]),
    );
    const account = await queueAccount('queue-paging', { ticketSubjects: subjects });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await account.submit(request(String(8300 + i), 'refund_order')));

    const { queue } = await account.open();
    await rows(queue).first().waitFor({ timeout: 15_000 });
    expect(await rows(queue).count()).toBe(25);
    await queue.getByText('1–25 of 30').waitFor();
    const first = await rowIds(queue);
    expect(first).toEqual(ids.slice(0, 25)); // same expiry for all: oldest first
    await rowOf(queue, ids[0] as string)
      .getByText('Customer question number 0')
      .waitFor();

    await queue.getByRole('button', { name: 'Next' }).click();
    await queue.getByText('26–30 of 30').waitFor();
    expect(await rowIds(queue)).toEqual(ids.slice(25));
    expect(await queue.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await rowOf(queue, ids[29] as string)
      .getByText('Customer question number 29')
      .waitFor();

    // one show_many call per page, with that page's ticket ids only
    const calls = account.harness.proxied.filter((r) => r.url.startsWith('/api/v2/tickets/show_many.json'));
    expect(calls.length).toBe(2);
    const asked = calls.map((c) => new URL(c.url, 'http://x').searchParams.get('ids')?.split(',').length);
    expect(asked).toEqual([25, 5]);

    await queue.getByRole('button', { name: 'Previous' }).click();
    await queue.getByText('1–25 of 30').waitFor();
    expect(await rowIds(queue)).toEqual(first);
    expect(account.harness.proxied.filter((r) => r.url.startsWith('/api/v2/tickets/show_many.json')).length).toBe(2);
  });

  it('When the agent clicks a ticket in the queue, then Zendesk routes to it; the subject shows where Zendesk has one', async () => {
    const account = await queueAccount('queue-route', {
      ticketSubjects: { '8401': 'My parcel arrived nine days late' },
    });
    const withSubject = await account.submit(
      request('8401', 'refund_order', { details: { ticket_id: '8401', amount: 40, currency: 'EUR' } }),
    );
    const without = await account.submit(request('8402', 'cancel_subscription'));
    const { page, queue } = await account.open();
    await rowOf(queue, without).waitFor({ timeout: 15_000 });
    await rowOf(queue, withSubject).getByText('My parcel arrived nine days late').waitFor();
    expect(await rowOf(queue, withSubject).locator('td').nth(2).textContent()).toBe('€40.00');
    expect(await rowOf(queue, without).locator('td').first().textContent()).toBe('#8402');

    await rowOf(queue, withSubject).getByRole('button', { name: 'Open ticket #8401' }).click();
    await page.waitForFunction(() => (globalThis as any).harness.log.some((e: any) => e.type === 'routeTo'));
    const route = await page.evaluate(
      () => (globalThis as any).harness.log.find((e: any) => e.type === 'routeTo').args,
    );
    expect(route).toEqual(['ticket', '8401']);
  });

  it('When the agent reviews a row and approves it inline, then the gateway has the decision and the row leaves the queue when closed', async () => {
    const account = await queueAccount('queue-decide');
    const first = await account.submit(
      request('8501', 'refund_order', { riskLevel: 'low', summary: 'Refund order #1001' }),
    );
    const second = await account.submit(
      request('8502', 'refund_order', { riskLevel: 'low', summary: 'Refund order #1002' }),
    );
    const { queue } = await account.open();
    await rowOf(queue, second).waitFor({ timeout: 15_000 });
    await queue.getByTestId('queue-count').getByText('Pending: 2').waitFor();

    const review = queue.getByRole('button', { name: 'Review: Refund order #1001' });
    await review.click();
    expect(await queue.getByRole('button', { name: 'Hide: Refund order #1001' }).getAttribute('aria-expanded')).toBe(
      'true',
    );
    const card = queue.locator(`article[data-approval-id="${first}"]`);
    await card.waitFor();
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await queue.locator(`article[data-approval-id="${first}"][data-status="approved"]`).waitFor({ timeout: 15_000 });
    await queue.locator(`tbody tr[data-approval-id="${first}"][data-status="approved"]`).waitFor();

    const approval = await getApprovalAs(account.agentKey, first);
    expect(approval.status).toBe('approved');
    expect(approval.decidedBy).toEqual({
      type: 'agent',
      id: '381',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      verified: false,
      channel: 'queue',
    });
    await queue.getByTestId('queue-count').getByText('Pending: 1').waitFor();

    await queue.getByRole('button', { name: 'Hide: Refund order #1001' }).click();
    await expect.poll(() => rowIds(queue)).toEqual([second]);
    // focus moved to the row that took its place, not to <body>
    const focused = await queue.locator(':focus').getAttribute('aria-label');
    expect(focused).toBe('Review: Refund order #1002');
  });

  it('When axe-core checks the queue with a row open in light and dark mode, then there is no serious or critical violation', async () => {
    const account = await queueAccount('queue-axe', { ticketSubjects: { '8601': 'Please cancel my Premium plan' } });
    await account.submit(
      request('8601', 'cancel_subscription', {
        riskLevel: 'high',
        priority: 'high',
        details: { ticket_id: '8601', subscription_id: 'sub_5521', effective: { at: 'period_end', prorate: false } },
      }),
    );
    await account.submit(
      request('8602', 'refund_order', { details: { ticket_id: '8602', amount: 12.5, currency: 'USD' } }),
    );
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, queue } = await account.open({ width: 1024, height: 768 }, { colorScheme });
      await rows(queue).nth(1).waitFor({ timeout: 15_000 });
      await rows(queue)
        .first()
        .getByRole('button', { name: /^Review/ })
        .click();
      await queue.locator('article').first().waitFor();
      await saveScreenshot(page, `queue-${colorScheme}-open.png`);
      const frame = await (await page.locator('#app-nav_bar').elementHandle())?.contentFrame();
      if (!frame) throw new Error('no nav_bar frame');
      const { all: violations, blocking } = await axeViolations(frame);
      expect(blocking, `queue ${colorScheme}: ${JSON.stringify(violations)}`).toEqual([]);
    }
  });
  it('When amounts, ages and expiries are at their widest at 1280 px, in English and German, light and dark, then no Amount, Age or Expires cell is cut', async () => {
    const HOUR = 3600;
    const cases = [
      { details: { amount: 1_234_567.89, currency: 'EUR' }, action: 'refund_order' },
      { details: { refund_amount: '12345.678 KWD' }, action: 'refund_order' },
      { details: { total: { amount: 999_999.99, currency: 'CHF' } }, action: 'close_account' },
      { details: { amount_cents: 123_456_789, currency: 'JPY' }, action: 'cancel_subscription' },
      { details: { amount: -1234.5 }, action: 'close_account' }, // the default currency (USD)
    ];
    for (const [language, user] of [
      ['en', ADA],
      ['de', { ...ADA, locale: 'de-DE' }],
    ] as const) {
      const account = await queueAccount(`queue-widths-${language}`, {
        currentUser: user,
        defaultCurrency: 'USD',
        // 48 h and 29 days: "in 47 hr." and "in 29 days" once the page's clock is 59 minutes on
        policy: {
          rules: [],
          expiries: { refund_order: 48 * HOUR, close_account: 29 * 24 * HOUR, cancel_subscription: 48 * HOUR },
        },
      });
      for (const [index, { details, action }] of cases.entries()) {
        await account.submit(
          request(String(8700 + index), action, {
            riskLevel: 'critical',
            summary: `A long summary that the action column truncates rather than the numbers, number ${index}`,
            details: { ticket_id: String(8700 + index), ...details },
          }),
        );
      }
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, queue } = await account.open({ width: 1280, height: 800 }, { colorScheme }, async (p) => {
          await p.clock.install();
        });
        await rows(queue)
          .nth(cases.length - 1)
          .waitFor({ timeout: 15_000 });
        // [1] the widest ages: 59 minutes old ("59 min. ago", "vor 59 Min.")
        await page.clock.fastForward(59 * 60_000);
        await expect
          .poll(() => rows(queue).first().locator('td').nth(4).textContent())
          .toMatch(/^(59 min\. ago|vor 59 Min\.)$/);
        await saveScreenshot(page, `queue-1280-${language}-${colorScheme}.png`);
        const cells = await rows(queue).evaluateAll((trs) =>
          trs.flatMap((tr) =>
            [2, 4, 5].map((column) => {
              const td = tr.querySelectorAll('td')[column];
              return { column, text: td?.textContent, scroll: td?.scrollWidth ?? 0, client: td?.clientWidth ?? 0 };
            }),
          ),
        );
        const cut = cells.filter((cell) => cell.scroll > cell.client);
        expect(cut, `${language} ${colorScheme}: cut cells ${JSON.stringify(cut)}`).toEqual([]);
        const texts = cells.map((cell) => cell.text);
        expect(texts).toContain(language === 'en' ? '€1,234,567.89' : '1.234.567,89\u00a0€');
        expect(texts).toContain(language === 'en' ? '-$1,234.50' : '-1.234,50\u00a0$');
        expect(texts).toContain(language === 'en' ? 'in 47 hr.' : 'in 47 Std.');
        expect(texts).toContain(language === 'en' ? 'in 29 days' : 'in 29 Tagen');
        const overflow = await queue
          .locator('main')
          .evaluate(
            (main) => main.ownerDocument.documentElement.scrollWidth - main.ownerDocument.documentElement.clientWidth,
          );
        expect(overflow, `horizontal overflow at 1280 px (${language})`).toBeLessThanOrEqual(0);
        await page.close();
      }
    }
  });
});

/**
 * Issue 18 part 4 end to end: the sidebar in real Chromium, a real gateway with an action for
 * `cancel_subscription` pointed at the harness's billing endpoint (zendesk-app/harness/fake-billing.ts)
 * on loopback. The pending card says what approving will do; a late approval (the intake answered at
 * once, ?wait=0) makes exactly one request carrying the Idempotency-Key, and the card turns Done. A 422
 * fails it, Retry on the card sends it again and it turns Done. axe-core finds nothing serious. Another
 * sidebar open on the same ticket follows both without a click: its held list call answers when the
 * execution's state changes (issue 18 follow-up), not at the end of its 20 s wait.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActionsFileSchema } from '@cheqpoint/shared';
import { actionConfigs } from '../../server/src/actions/action-configs.js';
import { startFakeBilling, type IFakeBilling } from '../../zendesk-app/harness/fake-billing.js';
import { until } from '../support/process.js';
import { cardOf, getApproval, openHarness, startStack, submit, type Stack } from './browser.support.js';

const TOKEN = 'browser-test-billing-token';
let billing: IFakeBilling;
let stack: Stack;

beforeAll(async () => {
  billing = await startFakeBilling({ token: TOKEN });
  stack = await startStack(inject('appDistDir'), {
    label: 'browser_late_execution',
    config: { CHEQPOINT_CALLBACK_ALLOWLIST: [`127.0.0.1:${billing.port}`] },
    harness: { billing },
  });
  const file = ActionsFileSchema.parse({
    actions: [
      {
        action: 'cancel_subscription',
        execute: {
          url: `${billing.url}/v1/subscriptions/{{details.subscription_id}}/cancel`,
          name: 'Billing',
          headers: { authorization: `Bearer ${TOKEN}` },
          body: { reason: '{{details.churn_reason}}' },
        },
        when: 'late',
      },
    ],
  });
  await actionConfigs(stack.gateway.conn).set(stack.keys.accountId, file, new Date());
});

afterAll(async () => {
  await stack?.close();
  await billing?.stop();
});

const cancellation = (subscription: string) => ({
  action: 'cancel_subscription',
  summary: `Cancel subscription ${subscription}`,
  details: { ticket_id: '9921', subscription_id: subscription, churn_reason: 'Price too high' },
});

/** Serious or critical axe-core violations in the sidebar frame. */
async function axeBlocking(page: Page) {
  const frame = page.frames().find((f) => f.url().includes('location=ticket_sidebar'));
  if (!frame) throw new Error('no sidebar frame');
  await frame.addScriptTag({
    content: readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'),
  });
  const violations = await frame.evaluate(async () => {
    const { axe, document } = globalThis as any;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string }[]).map((v) => ({ id: v.id, impact: v.impact }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

type ListAnswer = {
  since: string | null;
  cursor: string;
  approvals: { approvalId: string; execution: { status: string } | null }[];
};

/** The ticket list answers a page's app got through the harness's proxy, in order (held ones carry `since`). */
function listAnswers(page: Page): ListAnswer[] {
  const answers: ListAnswer[] = [];
  page.on('response', async (response) => {
    if (!response.url().includes('/harness/proxy')) return;
    const url = String((response.request().postDataJSON() as { url?: unknown } | null)?.url ?? '');
    if (!url.includes('/api/agent/approvals?') || !url.includes('ticketId=')) return;
    const reply = (await response.json().catch(() => null)) as { status: number; responseText: string } | null;
    if (reply?.status !== 200) return;
    const body = JSON.parse(reply.responseText) as Omit<ListAnswer, 'since'>;
    answers.push({ since: /[?&]since=(\d+)/.exec(url)?.[1] ?? null, cursor: body.cursor, approvals: body.approvals });
  });
  return answers;
}

/**
 * The first list answer in which the approval's execution is `status`: a held call's, answered for a
 * change after its cursor (at its 20 s end it would show the state with the cursor unchanged).
 */
async function expectWokenWith(answers: ListAnswer[], approvalId: string, status: string) {
  const first = await until(
    () => answers.find((a) => a.approvals.some((x) => x.approvalId === approvalId && x.execution?.status === status)),
    `a list answer with the execution ${status}`,
  );
  expect(first.since).not.toBeNull();
  expect(Number(first.cursor)).toBeGreaterThan(Number(first.since));
}

async function approve(sidebar: FrameLocator, approvalId: string) {
  const card = cardOf(sidebar, approvalId);
  await card.getByRole('button', { name: 'Approve', exact: true }).click();
  return card;
}

describe('late decisions in the sidebar', () => {
  it('When a late cancellation is approved, then the card said what would happen, the billing endpoint got one request with the key, and the card shows Done', async () => {
    const approvalId = await submit(stack, cancellation('sub_5521'));
    const { page, sidebar } = await openHarness(stack, { ticket: '9921' });
    try {
      const card = cardOf(sidebar, approvalId);
      await expect
        .poll(() => card.getByTestId('outcome-plan').textContent(), { timeout: 15_000 })
        .toContain('Approving will send “Cancel subscription” to Billing.');
      expect(await axeBlocking(page)).toEqual([]);
      await approve(sidebar, approvalId);
      await expect
        .poll(
          () =>
            card
              .getByTestId('execution-status')
              .textContent()
              .catch(() => ''),
          { timeout: 30_000 },
        )
        .toContain('Done: Billing answered 200');
      const requests = billing.requests.filter((r) => r.idempotencyKey === approvalId);
      expect(requests.map((r) => [r.method, r.path, r.status])).toEqual([
        ['POST', '/v1/subscriptions/sub_5521/cancel', 200],
      ]);
      expect(requests[0]?.body).toEqual({ reason: 'Price too high' });
      expect(((await getApproval(stack, approvalId)) as { execution: { status: string } }).execution.status).toBe(
        'succeeded',
      );
      expect(await axeBlocking(page)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('When billing answers 422, then the card says so with Retry; Retry sends it again and the card turns Done, and another sidebar open on the ticket follows both through its held list', async () => {
    billing.setMode('invalid');
    const approvalId = await submit(stack, cancellation('sub_7000'));
    // Another sidebar open on the ticket (another tab, or a colleague's) clicks nothing.
    const colleague = await openHarness(stack, { ticket: '9921' });
    const colleagueAnswers = listAnswers(colleague.page);
    const colleagueStatus = () =>
      cardOf(colleague.sidebar, approvalId)
        .getByTestId('execution-status')
        .textContent()
        .catch(() => '');
    const { page, sidebar } = await openHarness(stack, { ticket: '9921' });
    try {
      const card = await approve(sidebar, approvalId);
      const retry = card.getByRole('button', { name: 'Retry' });
      await retry.waitFor({ timeout: 30_000 });
      expect(await card.getByTestId('execution-status').textContent()).toContain('Not done: Billing answered 422');
      expect(await axeBlocking(page)).toEqual([]);
      await expect.poll(colleagueStatus, { timeout: 30_000 }).toContain('Not done: Billing answered 422');
      await expectWokenWith(colleagueAnswers, approvalId, 'failed');
      billing.setMode('ok');
      await retry.click();
      await expect
        .poll(() => card.getByTestId('execution-status').textContent(), { timeout: 30_000 })
        .toContain('Done: Billing answered 200');
      await expect.poll(colleagueStatus, { timeout: 30_000 }).toContain('Done: Billing answered 200');
      await expectWokenWith(colleagueAnswers, approvalId, 'succeeded');
      expect(billing.requests.filter((r) => r.idempotencyKey === approvalId).map((r) => r.status)).toEqual([422, 200]);
    } finally {
      billing.setMode('ok');
      await page.close();
      await colleague.page.close();
    }
  });
});

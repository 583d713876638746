/**
 * `npm run dev` plays Slack (issue 17): the harness's Slack pane in real Chromium, against a real
 * gateway whose account is connected to the fake Slack Web API (test/support/fake-slack.ts). An intake
 * held with `?wait=20` shows its message in the pane; Approve there (a signed interaction the pane
 * sends) answers the held call `approved`; Reject opens the note modal the gateway asks for
 * (views.open), refuses an empty note, and with a note answers `rejected`; a forged or stale
 * signature gets 401 and changes nothing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { slackConnections } from '../../server/src/slack/connections.js';
import { DEMO_SLACK_CHANNEL, DEMO_SLACK_USERS } from '../../zendesk-app/harness/dev-slack.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { call } from '../support/http.js';
import { getApproval, saveScreenshot, startStack, type Stack } from './browser.support.js';

const SIGNING_SECRET = 'pane-test-signing-secret-5f1e';
const ADA = DEMO_SLACK_USERS[0] as (typeof DEMO_SLACK_USERS)[number];

/** What the pane keeps on `window` (slack-pane.client.ts): the gateway's answer to each signed click. */
type PaneWindow = { slackPane: { deliveries: { status: number; body: string }[] } };
const deliveryCount = () => page.evaluate(() => (globalThis as unknown as PaneWindow).slackPane.deliveries.length);
const lastDelivery = () => page.evaluate(() => (globalThis as unknown as PaneWindow).slackPane.deliveries.at(-1));

let fake: FakeSlack;
let stack: Stack;
let page: Page;

beforeAll(async () => {
  fake = await startFakeSlack({ signingSecret: SIGNING_SECRET });
  fake.setUsers(DEMO_SLACK_USERS.map((u) => ({ id: u.id, name: u.name, email: u.email })));
  stack = await startStack(inject('appDistDir'), {
    label: 'browser_slack_pane',
    harness: {
      slack: { fake, signingSecret: SIGNING_SECRET, channel: DEMO_SLACK_CHANNEL, users: DEMO_SLACK_USERS },
    },
  });
  await slackConnections(stack.gateway.conn).connect(
    stack.keys.accountId,
    { channel: DEMO_SLACK_CHANNEL, apiUrl: fake.url, botToken: fake.botToken, signingSecret: SIGNING_SECRET },
    { teamId: fake.teamId, teamName: fake.teamName, botUserId: fake.botUserId, botName: 'cheqpoint' },
  );
  page = await stack.browser.newPage({ viewport: { width: 1100, height: 800 } });
  page.on('pageerror', (err) => process.stderr.write(`[slack pane page error] ${err.message}\n`));
  await page.goto(`${stack.harness.url}slack?as=${ADA.id}`);
});

afterAll(async () => {
  await page?.close().catch(() => {});
  await stack?.close();
  await fake?.stop();
});

/** An intake held up to 20 s, as a Zendesk AI agent's call waits for its answer. */
function heldIntake(summary: string) {
  return call(stack.gateway.url, 'POST', '/api/webhooks/inbound?wait=20', {
    key: stack.keys.flowKey,
    body: {
      action: 'refund_order',
      summary,
      details: { ticket_id: '9921', order_id: '1001', amount: 120, currency: 'EUR' },
      justification: 'The order arrived nine days late.',
    },
  });
}

/** The pane's message (list item) whose text includes `summary`, once it is shown. */
async function messageOf(summary: string) {
  const item = page.locator('#slack-messages > li.slack-message', { hasText: summary });
  await item.first().waitFor({ timeout: 10_000 });
  return item.first();
}

const approvalIdOf = async (summary: string) =>
  /apr_[0-9a-f]{32}/.exec((await (await messageOf(summary)).textContent()) ?? '')?.[0] as string;

describe('the Slack pane', () => {
  it('shows the message an intake posts and Approve answers the held call approved', async () => {
    const summary = 'Refund €120 for late order (approve from Slack)';
    const held = heldIntake(summary);
    const message = await messageOf(summary);
    await expect.poll(() => message.locator('.slack-header').textContent()).toContain(summary);
    await expect.poll(() => message.locator('.slack-fields').textContent()).toContain('€120.00');
    await saveScreenshot(page, 'slack-pane-pending.png');
    await message.getByRole('button', { name: 'Approve' }).click();
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('approved');
    const approval = await getApproval(stack, answer.body.approvalId as string);
    expect(approval.decidedBy).toMatchObject({ type: 'agent', channel: 'slack', slackUserId: ADA.id });
    // the message follows the decision: outcome and who, no buttons left
    await expect.poll(() => message.textContent(), { timeout: 10_000 }).toContain('Approved');
    await expect.poll(() => message.locator('button').count()).toBe(0);
    await expect.poll(() => message.textContent()).toContain('(edited)');
  });

  it('Reject opens the note modal, refuses an empty note, and with a note answers the held call rejected', async () => {
    const summary = 'Refund €120 for late order (reject from Slack)';
    const held = heldIntake(summary);
    const message = await messageOf(summary);
    await message.getByRole('button', { name: 'Reject' }).click();
    const modal = page.getByRole('dialog');
    await modal.waitFor({ timeout: 10_000 });
    await expect.poll(() => modal.textContent()).toContain('Note (required)');
    await modal.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => modal.locator('.slack-input-error').textContent()).toContain('A note is required');
    await saveScreenshot(page, 'slack-pane-reject-modal.png');
    await modal.getByRole('textbox').fill('Tracking shows it was on time.');
    await modal.getByRole('button', { name: 'Reject' }).click();
    await modal.waitFor({ state: 'hidden', timeout: 10_000 });
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('rejected');
    const approval = await getApproval(stack, answer.body.approvalId as string);
    expect(approval.decisionNote).toBe('Tracking shows it was on time.');
    await expect.poll(() => message.textContent(), { timeout: 10_000 }).toContain('Tracking shows it was on time.');
  });

  for (const mode of ['forged', 'stale'] as const) {
    it(`a ${mode} signature gets 401 and changes nothing`, async () => {
      const summary = `Refund €120 for late order (${mode} signature)`;
      void heldIntake(summary).catch(() => {});
      const message = await messageOf(summary);
      const approvalId = await approvalIdOf(summary);
      const deliveries = await deliveryCount();
      await page.locator('#slack-signature').selectOption(mode);
      try {
        await message.getByRole('button', { name: 'Approve' }).click();
        await expect.poll(deliveryCount).toBeGreaterThan(deliveries);
        expect((await lastDelivery())?.status).toBe(401);
        await expect.poll(() => page.locator('#slack-status').textContent()).toContain('401');
      } finally {
        await page.locator('#slack-signature').selectOption('valid');
      }
      const approval = await getApproval(stack, approvalId);
      expect(approval.status).toBe('pending');
      expect(fake.messages.find((m) => JSON.stringify(m.blocks).includes(approvalId))?.updates).toEqual([]);
      const decided = await call(stack.gateway.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
        key: stack.keys.agentKey,
        body: { decision: 'reject', note: 'cleanup', agent: { id: '1', name: 'Test' } },
      });
      expect(decided.status).toBe(200);
    });
  }
});

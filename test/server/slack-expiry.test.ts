import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { slackConnections } from '../../server/src/slack/connections.js';
import { findButton, startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call } from '../support/http.js';
import { until } from '../support/process.js';

const parsed = parsePolicy({
  rules: [
    {
      name: 'refunds',
      action: 'refund',
      outcome: 'require_human',
      expiresInSeconds: 600,
      escalation: { afterSeconds: 120, notifyGroup: 'Team leads' },
    },
  ],
});
if (!parsed.success) throw new Error(JSON.stringify(parsed.errors));
const POLICY: Policy = parsed.data;

const clock = movableClock();
let gw: TestGateway;
let slack: FakeSlack;
let account: CreatedAccount;

beforeAll(async () => {
  slack = await startFakeSlack();
  gw = await startTestGateway({ label: 'slack_expiry', clock, config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 100 } });
  account = await gw.createAccount('slack-expiry');
  await policiesRepository(gw.conn).setPolicy(account.accountId, POLICY);
  await slackConnections(gw.conn).connect(
    account.accountId,
    { channel: 'C0APPROVALS', apiUrl: slack.url, botToken: slack.botToken, signingSecret: slack.signingSecret },
    { teamId: slack.teamId, teamName: slack.teamName, botUserId: slack.botUserId, botName: 'cheqpoint' },
  );
});
afterAll(async () => {
  await gw?.close();
  await slack?.stop();
});

describe('The Slack message follows escalation and expiry', () => {
  it('When an approval escalates and then expires unanswered, then a thread reply tells of the escalation and the message is updated to expired, buttons gone', async () => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: account.flowKey,
      body: {
        action: 'refund',
        summary: 'Refund order o-1',
        details: { ticket_id: '77', amount: 20, currency: 'USD' },
      },
    });
    const approvalId = res.body.approvalId as string;
    const message = await until(() => slack.find(approvalId), 'the message');
    expect(JSON.stringify(message.blocks)).toContain('$20.00');

    clock.advance(121_000);
    await gw.sweepNow();
    const reply = await until(() => message.replies[0], 'the escalation thread reply');
    expect(reply.text).toContain('Escalated: waited 2 min');
    expect(reply.text).toContain('Team leads: please decide it.');
    expect(message.updates).toHaveLength(0);

    clock.advance(600_000);
    await gw.sweepNow();
    await until(() => message.updates.length > 0, 'the update after expiry');
    expect(message.text).toMatch(/^Expired: refund/);
    expect(JSON.stringify(message.blocks)).toContain('nobody decided in time');
    expect(findButton(message.blocks, 'approve')).toBeNull();
    expect(message.replies).toHaveLength(1);
    const metrics = (await call(gw.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/cheqpoint_time_to_decision_seconds_count\{channel="expiry"\} 1/);
  });
});

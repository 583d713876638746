import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { slackConnections } from '../../server/src/slack/connections.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { uniqueDbName } from '../support/gateway.js';
import { call } from '../support/http.js';
import { spawnGatewayProcess, until, waitForReady, type GatewayProcess } from '../support/process.js';

const dbName = uniqueDbName('slack_mp');
const ENV = {
  MONGODB_URI: `${inject('mongodbUri')}${dbName}`,
  CHEQPOINT_DISPATCH_INTERVAL_MS: '100',
  CHEQPOINT_SLACK_RETRY_SCHEDULE: '300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms',
  CHEQPOINT_CALLBACK_LEASE_MS: '2000',
  CHEQPOINT_CALLBACK_TIMEOUT_MS: '1000',
  CHEQPOINT_SLACK_TIMEOUT_MS: '1000',
};

let conn: Connection;
let slack: FakeSlack;
let keys: CreatedAccount;
const processes: GatewayProcess[] = [];

async function start(): Promise<GatewayProcess> {
  const gateway = await spawnGatewayProcess(ENV);
  processes.push(gateway);
  await waitForReady(gateway);
  return gateway;
}

beforeAll(async () => {
  slack = await startFakeSlack();
  conn = await connectDatabase(inject('mongodbUri'), dbName);
  keys = await accountsService(conn).createAccount('slack-mp');
  await slackConnections(conn).connect(
    keys.accountId,
    { channel: 'C0APPROVALS', apiUrl: slack.url, botToken: slack.botToken, signingSecret: slack.signingSecret },
    { teamId: slack.teamId, teamName: slack.teamName, botUserId: slack.botUserId, botName: 'cheqpoint' },
  );
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await slack?.stop();
  await conn?.dropDatabase().catch(() => {});
  await conn?.close();
});

describe('The Slack post across processes and crashes', () => {
  it('When the gateway is killed (-9) after intake and before its post reached Slack, then after a restart of two processes the approval has exactly one message', async () => {
    // Slack is down while the first process takes the request: its post cannot get through.
    slack.failNext('chat.postMessage', { status: 503, times: 10_000 });
    const first = await start();
    const res = await call(first.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: { action: 'refund', summary: 'Refund order o-1', details: { ticket_id: '5', amount: 12 } },
    });
    expect(res.status).toBe(202);
    const approvalId = res.body.approvalId as string;
    await until(() => slack.calls.some((c) => c.method === 'chat.postMessage'), 'a first post attempt');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(slack.messages).toHaveLength(0);

    slack.clearFailures();
    const [a, b] = await Promise.all([start(), start()]);
    await until(() => slack.find(approvalId), 'the message after the restart', 20_000);
    // Both processes keep polling: the post is never made a second time.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(slack.messages.filter((m) => JSON.stringify(m.blocks).includes(approvalId))).toHaveLength(1);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200)).toHaveLength(1);

    // A decision in one process updates the message once.
    const decided = await call(b.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent: { id: '7', name: 'Una' } },
    });
    expect(decided.status).toBe(200);
    const message = slack.find(approvalId);
    await until(() => (message?.updates.length ?? 0) > 0, 'the update');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(message?.updates).toHaveLength(1);
    expect(a.output()).not.toContain(slack.botToken);
    expect(b.output()).not.toContain(slack.botToken);
  });

  it('When a process stored an approval but died before queueing its post, then the next start posts it once (and not the approvals from before Slack was connected)', async () => {
    const other = await accountsService(conn).createAccount('slack-mp-repair');
    const gateway = await start();
    const submit = async (order: string) => {
      const res = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: other.flowKey,
        body: { action: 'refund', summary: `Refund order ${order}`, details: { ticket_id: '6', order } },
      });
      expect(res.status).toBe(202);
      return res.body.approvalId as string;
    };
    const before = await submit('o-before');
    await slackConnections(conn).connect(
      other.accountId,
      { channel: 'C0APPROVALS', apiUrl: slack.url, botToken: slack.botToken, signingSecret: slack.signingSecret },
      { teamId: slack.teamId, teamName: slack.teamName, botUserId: slack.botUserId, botName: 'cheqpoint' },
    );
    // This process still reads the account as unconnected (its connection cache lasts 5 s): like a
    // process killed between storing the approval and queueing its post, nothing is queued for it.
    const after = await submit('o-after');
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.find(after)).toBeUndefined();
    gateway.child.kill('SIGKILL');
    await gateway.exited;

    await start();
    await until(() => slack.find(after), 'the repaired post', 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(slack.messages.filter((m) => JSON.stringify(m.blocks).includes(after))).toHaveLength(1);
    expect(slack.find(before)).toBeUndefined();
  });
});

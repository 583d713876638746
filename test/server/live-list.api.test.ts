import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { CONNECTION_OPTIONS } from '../../server/src/db/connection.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';

/** A held list call: resolves with the answer and how long it was held (ms). */
async function held(gw: TestGateway, key: string, query: string) {
  const startedAt = Date.now();
  const res = await call(gw.url, 'GET', `/api/agent/approvals?${query}`, { key });
  return { res, ms: Date.now() - startedAt };
}

const ids = (body: { approvals: { approvalId: string }[] }) => body.approvals.map((a) => a.approvalId);

describe('Held list calls (GET /api/agent/approvals?since=&wait=)', () => {
  let a: TestGateway;
  let b: TestGateway;
  let second: Connection;
  let keys: CreatedAccount;
  let other: CreatedAccount;
  const commands: { name: string; collection: string }[] = [];

  const submit = async (ticket: string, key = keys.flowKey) => {
    const res = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key,
      body: uniqueRequest({ details: { ticket_id: ticket, n: Math.random() } }),
    });
    expect(res.status).toBe(202);
    return res.body.approvalId as string;
  };
  const cursorOf = async (gw: TestGateway, query: string) => {
    const res = await call(gw.url, 'GET', `/api/agent/approvals?${query}`, { key: keys.agentKey });
    expect(res.status).toBe(200);
    expect(res.body.cursor).toMatch(/^\d+$/);
    return res.body.cursor as string;
  };

  beforeAll(async () => {
    // The feed is tailed every 250 ms, as in production.
    a = await startTestGateway({ label: 'live_list', config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    second = mongoose.createConnection(inject('mongodbUri'), {
      ...CONNECTION_OPTIONS,
      dbName: a.conn.name,
      monitorCommands: true,
    });
    await second.asPromise();
    second.getClient().on('commandStarted', (event) => {
      const cmd = event.command as Record<string, unknown>;
      commands.push({ name: event.commandName, collection: String(cmd[event.commandName]) });
    });
    b = await startTestGateway({ conn: second, config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    keys = await a.createAccount();
    other = await a.createAccount('other');
  });
  afterAll(async () => {
    await b?.stop();
    await second?.close();
    await a?.close();
  });

  it('When an approval is made for the ticket, then a held call on it answers within about a second, with it', async () => {
    const cursor = await cursorOf(a, 'ticketId=live-1');
    const call1 = held(a, keys.agentKey, `ticketId=live-1&since=${cursor}&wait=15`);
    await until(() => a.lists.count === 1, 'the held call');
    const approvalId = await submit('live-1');
    const { res, ms } = await call1;
    expect(res.status).toBe(200);
    expect(ids(res.body)).toContain(approvalId);
    expect(ms).toBeLessThan(2_000);
    expect(Number(res.body.cursor)).toBeGreaterThan(Number(cursor));
  });

  it('When a decision is made through a second gateway process, then the call held on the first answers with it decided', async () => {
    const approvalId = await submit('live-2');
    const cursor = await cursorOf(a, 'ticketId=live-2');
    const pending = held(a, keys.agentKey, `ticketId=live-2&since=${cursor}&wait=15`);
    await until(() => a.lists.count === 1, 'the held call');
    const decidedAt = Date.now();
    const decided = await call(b.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    expect(decided.status).toBe(200);
    const { res } = await pending;
    expect(Date.now() - decidedAt).toBeLessThan(1_500);
    expect(res.body.approvals.find((x: { approvalId: string }) => x.approvalId === approvalId)?.status).toBe(
      'approved',
    );
  });

  it('When another ticket, or another account, changes, then the held call is not woken; it answers after its wait, as the list and a fresh cursor', async () => {
    const cursor = await cursorOf(a, 'ticketId=live-3');
    const pending = held(a, keys.agentKey, `ticketId=live-3&since=${cursor}&wait=2`);
    await until(() => a.lists.count === 1, 'the held call');
    await submit('live-3-other');
    await submit('live-3', other.flowKey);
    const { res, ms } = await pending;
    expect(res.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(3_500);
    expect(res.body.approvals).toEqual([]);
    // Two changes happened (elsewhere) since: the cursor moved past them.
    expect(Number(res.body.cursor)).toBeGreaterThanOrEqual(Number(cursor) + 2);
  });

  it('When the queue is held, then an approval of any ticket of the account wakes it (Prefer: wait= too)', async () => {
    const cursor = await cursorOf(b, 'status=pending');
    const startedAt = Date.now();
    const pending = call(b.url, 'GET', `/api/agent/approvals?status=pending&since=${cursor}`, {
      key: keys.agentKey,
      headers: { prefer: 'wait=15' },
    });
    await until(() => b.lists.count === 1, 'the held call');
    const approvalId = await submit('live-4');
    const res = await pending;
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(res.headers.get('preference-applied')).toBe('wait=15');
    expect(ids(res.body)).toContain(approvalId);
  });

  it('When the cursor is older than a change in scope, then the call answers at once', async () => {
    const cursor = await cursorOf(a, 'ticketId=live-5');
    const approvalId = await submit('live-5');
    await until(async () => Number(await cursorOf(a, 'ticketId=live-5')) > Number(cursor), 'the feed to move');
    const { res, ms } = await held(a, keys.agentKey, `ticketId=live-5&since=${cursor}&wait=15`);
    expect(ms).toBeLessThan(1_000);
    expect(ids(res.body)).toContain(approvalId);
    // From before this process started (or older than it remembers): at once as well.
    expect((await held(a, keys.agentKey, 'ticketId=live-5&since=0&wait=15')).ms).toBeLessThan(1_000);
  });

  it('When since is garbage or ahead of the feed, or wait is out of range, then 400 problem+json names the field', async () => {
    for (const since of ['abc', '-1', '1.5', '9'.repeat(16), '999999999']) {
      const res = await call(a.url, 'GET', `/api/agent/approvals?ticketId=x&since=${since}&wait=5`, {
        key: keys.agentKey,
      });
      expect(res.status, since).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['since']);
    }
    const twice = await call(a.url, 'GET', '/api/agent/approvals?since=1&since=2', { key: keys.agentKey });
    expect(twice.status).toBe(400);
    expect(twice.body.errors[0].path).toBe('since');
    for (const wait of ['21', '-1', 'x']) {
      const res = await call(a.url, 'GET', `/api/agent/approvals?since=0&wait=${wait}`, { key: keys.agentKey });
      expect(res.status, wait).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['wait']);
    }
  });

  it('When calls are held, then they read nothing from the database until they answer, and a client that leaves frees its hold', async () => {
    const cursor = await cursorOf(b, 'ticketId=live-6');
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const calls = controllers.map((c) =>
      fetch(`${b.url}/api/agent/approvals?ticketId=live-6&since=${cursor}&wait=15`, {
        headers: { 'x-api-key': keys.agentKey },
        signal: c.signal,
      }).catch(() => null),
    );
    await until(() => b.lists.count === 5, 'five held calls');
    await new Promise((r) => setTimeout(r, 300));
    const before = commands.length;
    await new Promise((r) => setTimeout(r, 1_500));
    // Meanwhile only the background loops run (the feed's tail, the callback, Zendesk, Slack and execution outboxes, by key
    // or working set): nothing reads approvals, their tickets or the pending set for the held calls.
    const background = new Set([
      'changes',
      'callback_outbox',
      'delivery_claims',
      'zendesk_outbox',
      'zendesk_claims',
      'slack_outbox',
      'slack_claims',
      'execution_outbox',
      'execution_claims',
    ]);
    expect(commands.slice(before).filter((c) => !background.has(c.collection))).toEqual([]);
    for (const c of controllers) c.abort();
    await Promise.all(calls);
    await until(() => b.lists.count === 0, 'the holds to be released');
  });

  it('When held list calls fill the cap of held calls, then one more is answered at once; on shutdown the held ones answer at once', async () => {
    const conn = mongoose.createConnection(inject('mongodbUri'), { ...CONNECTION_OPTIONS, dbName: a.conn.name });
    await conn.asPromise();
    const c = await startTestGateway({ conn, maxWaiters: 1, config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    try {
      const cursor = await cursorOf(c, 'ticketId=live-7');
      const first = held(c, keys.agentKey, `ticketId=live-7&since=${cursor}&wait=15`);
      await until(() => c.lists.count === 1, 'the held call');
      const second = await held(c, keys.agentKey, `ticketId=live-7&since=${cursor}&wait=15`);
      expect(second.res.status).toBe(200);
      expect(second.ms).toBeLessThan(1_000);
      const stoppedAt = Date.now();
      const answeredAt = first.then(() => Date.now());
      await c.stop();
      expect((await first).res.status).toBe(200);
      // Answered as the shutdown began, not at the end of its wait.
      expect((await answeredAt) - stoppedAt).toBeLessThan(2_000);
    } finally {
      await c.stop();
      await conn.close();
    }
  });
});

import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { PendingSet } from '../../server/src/approvals/pending-set.js';
import { ChangeFeed } from '../../server/src/changes/change-feed.js';
import { CONNECTION_OPTIONS, connectDatabase } from '../../server/src/db/connection.js';
import { systemClock } from '../../server/src/lib/clock.js';
import { silentLogger } from '../../server/src/lib/logger.js';
import { movableClock } from '../support/clock.js';
import { connectTestDatabase, startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

type Command = { commandName: string; collection: string; filter: Record<string, unknown> | null };

/** Collections whose whole content is a small working set, read whole on purpose (see README). */
const WORKING_SETS = new Set([
  'pending_approvals',
  'callback_outbox',
  'delivery_claims',
  // effects still to send to Zendesk, and their attempts' claims (removed once sent or given up)
  'zendesk_outbox',
  'zendesk_claims',
  // Slack posts, updates and thread replies still to send, and their attempts' claims (same discipline)
  'slack_outbox',
  'slack_claims',
  // executions of decided actions not final yet (removed once succeeded, failed or skipped), and their claims
  'execution_outbox',
  'execution_claims',
]);
/** Commands that read or change documents chosen by a filter. */
const FILTERED = new Set(['find', 'update', 'delete', 'findAndModify', 'count', 'aggregate', 'distinct']);

/** Every filtered command a gateway sends, from the driver's command monitoring. */
function recordCommands(conn: Connection): Command[] {
  const seen: Command[] = [];
  conn.getClient().on('commandStarted', (event) => {
    if (!FILTERED.has(event.commandName)) return;
    const cmd = event.command as Record<string, unknown>;
    const collection = String(cmd[event.commandName]);
    const filters =
      event.commandName === 'update' || event.commandName === 'delete'
        ? ((cmd['updates'] ?? cmd['deletes']) as { q: Record<string, unknown> }[]).map((u) => u.q)
        : [(cmd['filter'] ?? cmd['query'] ?? null) as Record<string, unknown> | null];
    for (const filter of filters) seen.push({ commandName: event.commandName, collection, filter });
  });
  return seen;
}

/** An `_id`, or `{ $in: [_id, …] }`: key lookups (one or a batch) on every backend. */
const isKey = (value: unknown) =>
  typeof value === 'string' ||
  (typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    Array.isArray((value as { $in?: unknown }).$in) &&
    (value as { $in: unknown[] }).$in.every((id) => typeof id === 'string'));
const byKey = (c: Command) => WORKING_SETS.has(c.collection) || (c.filter !== null && isKey(c.filter['_id']));

describe('Every read and write on the request paths is addressed by key (one or a batch)', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  let receiver: Receiver;
  let commands: Command[];

  beforeAll(async () => {
    receiver = await startReceiver();
    const monitored = mongoose.createConnection(inject('mongodbUri'), {
      ...CONNECTION_OPTIONS,
      dbName: uniqueDbName('by_key'),
      monitorCommands: true,
    });
    await monitored.asPromise();
    gw = await startTestGateway({
      conn: monitored,
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50, CHEQPOINT_EXPIRY_SWEEP_MS: 100 },
    });
    keys = await gw.createAccount();
    commands = recordCommands(monitored);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('When a flow and agents use every endpoint, then each filtered command names an _id or a small working set', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ details: { ticket_id: 'k-1', n: i }, callbackUrl: receiver.url('/cb') }),
        headers: { 'idempotency-key': `by-key-${i}` },
      });
      expect(res.status).toBe(202);
      created.push(res.body.approvalId as string);
    }
    const [first, second] = created as [string, string];
    const held = call(gw.url, 'GET', `/api/approvals/${first}?wait=10`, { key: keys.flowKey });
    await until(() => gw.waiter.count === 1, 'the held call');
    await call(gw.url, 'GET', '/api/agent/approvals?ticketId=k-1', { key: keys.agentKey });
    await call(gw.url, 'GET', '/api/agent/approvals?status=pending', { key: keys.agentKey });
    const decided = await call(gw.url, 'POST', `/api/agent/approvals/${first}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent, note: 'ok' },
    });
    expect(decided.status).toBe(200);
    expect((await held).body.status).toBe('approved');
    await receiver.waitForRequests(1);
    await call(gw.url, 'POST', `/api/agent/approvals/${second}/decision`, {
      key: keys.agentKey,
      body: { decision: 'reject', agent, note: 'no' },
    });
    await call(gw.url, 'GET', '/api/agent/approvals?status=approved', { key: keys.agentKey });
    await call(gw.url, 'GET', `/api/approvals/${first}/events`, { key: keys.flowKey });
    // A redelivery while the first attempt is still being recorded is refused as in flight: wait for it.
    await until(async () => {
      const res = await call(gw.url, 'GET', `/api/approvals/${first}`, { key: keys.flowKey });
      return res.body.callback?.status === 'delivered';
    }, 'the first callback recorded as delivered');
    const redelivered = await call(gw.url, 'POST', `/api/agent/approvals/${first}/redeliver`, { key: keys.agentKey });
    expect(redelivered.status).toBe(202);
    await receiver.waitForRequests(3);
    await gw.sweepNow();

    const offending = commands.filter((c) => !byKey(c));
    expect(offending).toEqual([]);
    // It did read and write the stores, by key.
    expect(commands.some((c) => c.collection === 'approvals')).toBe(true);
    expect(commands.some((c) => c.collection === 'ticket_slots')).toBe(true);
    expect(commands.some((c) => c.collection === 'changes')).toBe(true);
  });
});

describe('Lists and callbacks on the keyed storage', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  const clock = movableClock();

  beforeAll(async () => {
    gw = await startTestGateway({ label: 'lists', clock, config: { CHEQPOINT_EXPIRY_SWEEP_MS: 60_000 } });
    keys = await gw.createAccount();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('When an approval is past its expiry, then neither the ticket list nor the queue shows it as pending', async () => {
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: 'exp-1', n: 1 } }),
    });
    expect(created.status).toBe(202);
    clock.advance(25 * 60 * 60 * 1000);
    const ticket = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=exp-1', { key: keys.agentKey });
    expect(ticket.body.approvals).toEqual([
      expect.objectContaining({
        approvalId: created.body.approvalId,
        status: 'rejected',
        decidedBy: { type: 'expiry' },
      }),
    ]);
    const queue = await call(gw.url, 'GET', '/api/agent/approvals?status=pending', { key: keys.agentKey });
    expect(queue.body.approvals.map((a: { approvalId: string }) => a.approvalId)).not.toContain(
      created.body.approvalId,
    );
  });

  it('When 40 approvals for one ticket arrive at once, then each has one slot and the ticket list shows them all', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: keys.flowKey,
          body: uniqueRequest({ details: { ticket_id: 'busy-1', n: i } }),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(202));
    const slots = await gw.conn
      .collection('ticket_slots')
      .find({ _id: { $regex: `^${keys.accountId}:busy-1:` } as never })
      .toArray();
    expect(slots).toHaveLength(40);
    expect(new Set(slots.map((s) => s['approvalId'])).size).toBe(40);
    const list = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=busy-1', { key: keys.agentKey });
    expect(list.body.approvals).toHaveLength(40);
  });
});

describe('Two gateways on one database', () => {
  let a: TestGateway;
  let b: TestGateway;
  let keys: CreatedAccount;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    a = await startTestGateway({
      label: 'two_gw',
      allowlist: [`127.0.0.1:${receiver.port}`],
      // The dispatcher's poll almost never runs: the first attempt must leave on its own.
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 60_000, CHEQPOINT_WATCH_INTERVAL_MS: 100 },
    });
    const second = await connectDatabase(inject('mongodbUri'), a.conn.name);
    b = await startTestGateway({ conn: second, config: { CHEQPOINT_WATCH_INTERVAL_MS: 100 } });
    keys = await a.createAccount();
  });
  afterAll(async () => {
    await b?.stop();
    await b?.conn.close();
    await a?.close();
    await receiver?.close();
  });

  it('When an approval is made through one, then the queue of the other shows it, and drops it once decided there', async () => {
    const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: 'two-1' } }),
    });
    const queueOf = async (gw: TestGateway) =>
      (await call(gw.url, 'GET', '/api/agent/approvals?status=pending', { key: keys.agentKey })).body.approvals.map(
        (x: { approvalId: string }) => x.approvalId,
      );
    await until(async () => (await queueOf(b)).includes(created.body.approvalId), 'the queue of B to show it');
    await call(b.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    await until(async () => !(await queueOf(a)).includes(created.body.approvalId), 'the queue of A to drop it');
  });

  it('When a decision is made, then its first callback attempt leaves at once, without the dispatcher poll', async () => {
    const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: 'two-2' }, callbackUrl: receiver.url('/first') }),
    });
    await call(a.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    // The poll runs once a minute here; 10 s is only a bound for a slow machine.
    const [request] = await receiver.waitForRequests(1, 10_000);
    expect(request?.headers['webhook-id']).toBe(`msg_${created.body.approvalId}`);
  });
});

describe('The change feed', () => {
  it('When two processes append at once, then the feed is one dense sequence that every reader sees whole and in order', async () => {
    const conn = await connectTestDatabase('feed');
    const other = await connectDatabase(inject('mongodbUri'), conn.name);
    try {
      const options = { intervalMs: 20, clock: systemClock, logger: silentLogger };
      const feeds = [new ChangeFeed<{ n: number; by: string }>(conn, options), new ChangeFeed(other, options)];
      const seen: number[][] = [[], []];
      for (const [i, feed] of feeds.entries()) {
        await feed.start();
        feed.subscribe((change, seq) => seen[i]?.push(seq));
      }
      await Promise.all(
        feeds.flatMap((feed, i) => Array.from({ length: 60 }, (_, n) => feed.append({ n, by: String(i) }))),
      );
      await until(() => seen.every((s) => s.length >= 120), 'both readers to see 120 changes');
      for (const s of seen) expect(s).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
      const stored = await conn.collection('changes').find({}).toArray();
      expect(stored).toHaveLength(120);
      for (const feed of feeds) feed.stop();
    } finally {
      await conn.dropDatabase();
      await conn.close();
      await other.close();
    }
  });
});

describe('The pending set', () => {
  it('When reloads overlap each other and a decision, then none fails and the decided approval stays out', async () => {
    const conn = await connectTestDatabase('pending');
    try {
      const set = new PendingSet(conn);
      const entry = (n: number) => ({
        _id: `apr_${n}`,
        accountId: 'acc_1',
        ticketId: null,
        action: 'refund',
        createdAt: new Date(1_000 + n),
        expiresAt: new Date(10_000_000 + n),
      });
      for (let n = 0; n < 30; n += 1) await set.insertDurable(entry(n));
      for (let round = 0; round < 10; round += 1) {
        const loads = [set.load(), set.load(), set.load()];
        set.remove(`apr_${round}`);
        await approvalModels(conn).Pending.deleteOne({ _id: `apr_${round}` });
        await Promise.all(loads);
        expect(set.ofAccount('acc_1').map((e) => e._id)).not.toContain(`apr_${round}`);
      }
      await set.load();
      expect(set.size).toBe(20);
    } finally {
      await conn.dropDatabase();
      await conn.close();
    }
  });
});

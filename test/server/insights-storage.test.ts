import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePolicy } from '@cheqpoint/shared';
import { CONNECTION_OPTIONS } from '../../server/src/db/connection.js';
import { writeMeta } from '../../server/src/db/meta.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';

type Command = { commandName: string; collection: string; filter: Record<string, unknown> | null };
const FILTERED = new Set(['find', 'update', 'delete', 'findAndModify', 'count', 'aggregate', 'distinct']);

/** An `_id` or `{ $in: [_id, …] }`. */
const isKey = (value: unknown) =>
  typeof value === 'string' ||
  (typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length === 1 &&
    Array.isArray((value as { $in?: unknown }).$in) &&
    (value as { $in: unknown[] }).$in.every((id) => typeof id === 'string'));

const clock = movableClock();
let conn: Connection;
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
const seen: Command[] = [];

beforeAll(async () => {
  conn = mongoose.createConnection(inject('mongodbUri'), {
    ...CONNECTION_OPTIONS,
    dbName: uniqueDbName('insights_storage'),
    monitorCommands: true,
  });
  await conn.asPromise();
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
  gw = await startTestGateway({ conn, clock });
  keys = await gw.createAccount();
  const parsed = parsePolicy({
    rules: [
      { name: 'lookups', action: 'lookup', outcome: 'approve' },
      { name: 'refunds', action: 'refund', outcome: 'require_human', editableFields: { amount: { type: 'number' } } },
    ],
    expiries: { archive: 60 },
  });
  if (!parsed.success) throw new Error('bad policy');
  await policiesRepository(conn).setPolicy(keys.accountId, parsed.data);
});
afterAll(async () => {
  await gw?.stop();
  await conn.dropDatabase().catch(() => {});
  await conn.close();
});

async function request(extra: Record<string, unknown> = {}) {
  const body = uniqueRequest(extra);
  const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body });
  return { id: res.body.approvalId as string, details: body.details as Record<string, unknown> };
}
async function decide(id: string, body: Record<string, unknown>) {
  const res = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, { key: keys.agentKey, body });
  expect(res.status, res.text).toBe(200);
}
const insights = async () => {
  const res = await call(gw.url, 'GET', '/api/agent/insights?days=90', { key: keys.agentKey });
  expect(res.status).toBe(200);
  const { generatedAt: _, ...rest } = res.body;
  return rest;
};

describe('Insights storage', () => {
  it('When a history is counted live, then reading 90 days is by key only, and an upgrade in place from the stored approvals gives the same insights', async () => {
    // Yesterday and today: people (with a change, rejections, amounts in several buckets), a rule, the expiry.
    for (const day of [0, 1]) {
      const refunds = await Promise.all(
        [5, 40, 40, 300, 2_000].map((amount) =>
          request({ details: { ticket_id: '1', order: `o${day}${amount}${Math.random()}`, amount } }),
        ),
      );
      clock.advance(30_000);
      await decide(refunds[0]!.id, { decision: 'approve', agent: { id: 'a.1', name: 'Ada' } });
      await decide(refunds[1]!.id, {
        decision: 'approve',
        agent: { id: '$2', name: 'Grace' },
        modifiedDetails: { ...refunds[1]!.details, amount: 20 },
      });
      clock.advance(600_000);
      await decide(refunds[2]!.id, { decision: 'reject', note: 'no', agent: { id: 'a.1', name: 'Ada' } });
      await decide(refunds[3]!.id, { decision: 'approve', agent: { id: '$2', name: 'Grace' } });
      await request({ action: 'lookup' });
      await request({ action: 'archive' });
      clock.advance(61_000);
      await gw.sweepNow();
      if (day === 0) clock.advance(24 * 3600_000);
    }
    seen.length = 0;
    const live = await insights();
    // Only this call's reads: the writer slots and the rollups, by key.
    const reads = seen.filter((c) => c.collection.startsWith('insight_'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((c) => c.filter === null || !isKey(c.filter['_id']))).toEqual([]);
    expect(seen.filter((c) => c.collection === 'approvals' || c.collection === 'decisions')).toEqual([]);
    expect(live.total).toMatchObject({ requests: 14, decidedByPeople: 8, decidedByPolicy: 2, expired: 3, pending: 1 });

    // The same database as an older version left it: no rollups, storage version 2.
    await gw.stop();
    await conn.collection('insight_days').drop();
    await conn.collection('insight_writers').drop();
    await writeMeta(conn, 'storage-version', 2);
    gw = await startTestGateway({ conn, clock });
    expect(await insights()).toEqual(live);
  }, 60_000);
});

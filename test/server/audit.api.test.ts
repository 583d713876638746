import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { canonicalJson, verifyChain } from '../../server/src/audit/audit-chain.js';
import { auditModels, type AuditActor } from '../../server/src/audit/audit-event.model.js';
import { auditCli } from '../../server/src/audit/audit.cli.js';
import {
  appendEvent,
  exportEvents,
  fromEventView,
  listEvents,
  verifyStoredChains,
  type AuditEventView,
} from '../../server/src/audit/audit.service.js';
import { newApprovalId } from '../../server/src/lib/ids.js';
import type { CliContext } from '../../server/src/policies/policies.cli.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';

let gw: TestGateway;
let a: CreatedAccount;
let b: CreatedAccount;
/** The gateway serves the events endpoint. */
let eventsUrl: string;

const system: AuditActor = { type: 'system', name: 'test' };

beforeAll(async () => {
  gw = await startTestGateway({ label: 'audit' });
  await auditModels(gw.conn).AuditEvent.createIndexes();
  a = await gw.createAccount('a');
  b = await gw.createAccount('b');
  eventsUrl = gw.url;
});
afterAll(async () => {
  await gw?.close();
});

function cli() {
  let out = '';
  const ctx: CliContext = {
    withDatabase: (run) => run(gw.conn),
    usageError: (message) => Object.assign(new Error(message), { isUsage: true }),
    write: (text) => {
      out += text;
    },
  };
  return { ctx, output: () => out };
}

async function chainOf(length: number, accountId = a.accountId, approvalId = newApprovalId()) {
  for (let i = 1; i <= length; i++) {
    await appendEvent(gw.conn, accountId, approvalId, 'callback_attempted', system, { attempt: i });
  }
  return approvalId;
}

describe('Appending audit events', () => {
  it('When 20 appends to one approval run concurrently, then they get seq 1..20 in one unbroken chain', async () => {
    const approvalId = newApprovalId();
    const stored = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendEvent(gw.conn, a.accountId, approvalId, 'callback_attempted', system, { attempt: i }),
      ),
    );
    expect(stored.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const events = await listEvents(gw.conn, a.accountId, approvalId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => JSON.parse(e.data).attempt)).size).toBe(20);
    expect(verifyChain(events)).toEqual({ ok: true, count: 20 });
  });

  it('When events are appended, then each carries its actor, time, canonical data and the previous hash', async () => {
    const approvalId = newApprovalId();
    const at = new Date('2026-03-01T10:00:00.000Z');
    const first = await appendEvent(
      gw.conn,
      a.accountId,
      approvalId,
      'requested',
      { type: 'flow', id: 'key_1' },
      { b: 1, a: 'x' },
      at,
    );
    const second = await appendEvent(
      gw.conn,
      a.accountId,
      approvalId,
      'decided',
      { type: 'agent', id: '42', name: 'Ada' },
      { outcome: 'approved' },
      at,
    );
    expect(first).toMatchObject({
      seq: 1,
      prevHash: null,
      data: '{"a":"x","b":1}',
      actor: { type: 'flow', id: 'key_1' },
    });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, actor: { type: 'agent', id: '42', name: 'Ada' }, at });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('When the expected position is right, too low, too high or contended, then the chain stays unbroken', async () => {
    const approvalId = newApprovalId();
    const append = (attempt: number, expectedSeq?: number) =>
      appendEvent(gw.conn, a.accountId, approvalId, 'callback_attempted', system, { attempt }, new Date(), expectedSeq);
    expect((await append(1, 1)).seq).toBe(1); // right
    expect((await append(2, 1)).seq).toBe(2); // too low: walks forward
    expect((await append(3, 9)).seq).toBe(3); // too high: no event 8, falls back to the sorted read
    expect((await append(4, 4)).seq).toBe(4);
    // Ten appends all expecting position 5 at once.
    const contended = await Promise.all(Array.from({ length: 10 }, (_, i) => append(5 + i, 5)));
    expect(contended.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 5));
    const events = await listEvents(gw.conn, a.accountId, approvalId);
    expect(verifyChain(events)).toEqual({ ok: true, count: 14 });
    // Another account's approval is refused even when reached by key.
    await expect(
      appendEvent(gw.conn, b.accountId, approvalId, 'requested', system, {}, new Date(), 15),
    ).rejects.toThrow(/another account/);
  });

  it('When another account lists an approval, then it sees no events', async () => {
    const approvalId = await chainOf(2);
    expect(await listEvents(gw.conn, b.accountId, approvalId)).toEqual([]);
    await expect(appendEvent(gw.conn, b.accountId, approvalId, 'requested', system)).rejects.toThrow(/another account/);
  });
});

describe('Verifying audit chains', () => {
  it('When a stored event is modified directly in the database, then verify reports it and the CLI fails', async () => {
    const approvalId = await chainOf(3);
    await auditModels(gw.conn).AuditEvent.collection.updateOne(
      { _id: `${approvalId}:2` as never },
      { $set: { data: canonicalJson({ attempt: 1000 }) } },
    );
    const results = [];
    for await (const check of verifyStoredChains(gw.conn, { approvalId })) results.push(check);
    expect(results).toEqual([
      expect.objectContaining({
        approvalId,
        ok: false,
        brokenAt: 2,
        reason: 'event 2 was changed after it was written',
      }),
    ]);

    const run = cli();
    await expect(auditCli(['verify', '--approval', approvalId], run.ctx)).rejects.toThrow(
      '1 of 1 audit chains are broken',
    );
    expect(run.output()).toBe(
      `BROKEN ${approvalId} (account ${a.accountId}) at event 2: event 2 was changed after it was written\n`,
    );
  });

  it('When a middle event is deleted, then verify reports the gap', async () => {
    const approvalId = await chainOf(4);
    await auditModels(gw.conn).AuditEvent.collection.deleteOne({ _id: `${approvalId}:3` as never });
    const results = [];
    for await (const check of verifyStoredChains(gw.conn, { approvalId })) results.push(check);
    expect(results).toEqual([
      expect.objectContaining({
        ok: false,
        count: 3,
        brokenAt: 3,
        reason: 'event 3 is missing (the next stored event is 4)',
      }),
    ]);
  });

  it('When every chain of an account is intact, then audit verify passes and counts them', async () => {
    const account = await gw.createAccount('intact');
    await chainOf(2, account.accountId);
    await chainOf(3, account.accountId);
    const run = cli();
    await auditCli(['verify', '--account', account.accountId], run.ctx);
    expect(run.output()).toBe('Verified 2 audit chains (5 events): all intact.\n');
    const json = cli();
    await auditCli(['verify', '--account', account.accountId, '--json'], json.ctx);
    expect(JSON.parse(json.output())).toEqual({ chains: 2, events: 5, broken: [] });
  });
});

describe('Exporting audit events', () => {
  it('When a date range is exported, then exactly the events inside it come out as JSON Lines, oldest first', async () => {
    const account = await gw.createAccount('export');
    const otherAccount = await gw.createAccount('export-other');
    const approvalA = newApprovalId();
    const approvalB = newApprovalId();
    const at = (iso: string) => new Date(iso);
    await appendEvent(
      gw.conn,
      account.accountId,
      approvalA,
      'requested',
      system,
      { n: 1 },
      at('2025-12-31T23:59:59.999Z'),
    );
    await appendEvent(
      gw.conn,
      account.accountId,
      approvalA,
      'policy_evaluated',
      system,
      { n: 2 },
      at('2026-01-01T00:00:00.000Z'),
    );
    await appendEvent(
      gw.conn,
      account.accountId,
      approvalB,
      'requested',
      system,
      { n: 3 },
      at('2026-01-01T12:00:00.000Z'),
    );
    await appendEvent(
      gw.conn,
      account.accountId,
      approvalA,
      'decided',
      system,
      { n: 4 },
      at('2026-01-01T18:00:00.000Z'),
    );
    await appendEvent(
      gw.conn,
      account.accountId,
      approvalB,
      'expired',
      system,
      { n: 5 },
      at('2026-01-02T00:00:00.000Z'),
    );
    await appendEvent(
      gw.conn,
      otherAccount.accountId,
      newApprovalId(),
      'requested',
      system,
      { n: 6 },
      at('2026-01-01T06:00:00.000Z'),
    );

    const run = cli();
    await auditCli(
      ['export', '--from', '2026-01-01', '--to', '2026-01-02T00:00:00Z', '--account', account.accountId],
      run.ctx,
    );
    const lines = run.output().trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as AuditEventView);
    expect(events.map((e) => e.data['n'])).toEqual([2, 3, 4]);
    expect(events[0]).toMatchObject({
      approvalId: approvalA,
      accountId: account.accountId,
      seq: 2,
      type: 'policy_evaluated',
      actor: { type: 'system', name: 'test' },
      at: '2026-01-01T00:00:00.000Z',
      data: { n: 2 },
    });

    const all = [];
    for await (const event of exportEvents(gw.conn, {
      from: at('2026-01-01T00:00:00Z'),
      to: at('2026-01-02T00:00:00Z'),
    })) {
      all.push(event);
    }
    expect(all.map((e) => e.data['n'])).toEqual(expect.arrayContaining([2, 3, 4, 6]));
    expect(all.some((e) => e.data['n'] === 1 || e.data['n'] === 5)).toBe(false);

    const whole = [];
    for await (const event of exportEvents(gw.conn, {
      from: at('2025-01-01'),
      to: at('2027-01-01'),
      accountId: account.accountId,
    })) {
      if (event.approvalId === approvalA) whole.push(fromEventView(JSON.parse(JSON.stringify(event))));
    }
    expect(verifyChain(whole)).toEqual({ ok: true, count: 3 });
  });

  it('When export dates are missing, malformed or reversed, then a usage error says so', async () => {
    for (const args of [
      ['export', '--to', '2026-01-02'],
      ['export', '--from', 'yesterday', '--to', '2026-01-02'],
      ['export', '--from', '2026-01-02', '--to', '2026-01-01'],
    ]) {
      await expect(auditCli(args, cli().ctx)).rejects.toMatchObject({ isUsage: true });
    }
  });
});

describe('GET /api/approvals/{approvalId}/events', () => {
  let approvalId: string;
  beforeAll(async () => {
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: a.flowKey,
      body: uniqueRequest(),
    });
    expect(created.status).toBe(202);
    approvalId = created.body.approvalId;
    const decided = await call(gw.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
      key: a.agentKey,
      body: { decision: 'reject', note: 'not now', agent: { id: '42', name: 'Ada' } },
    });
    expect(decided.status).toBe(200);
  });

  it('When the flow or agent key of the account asks, then it gets the events in order and a verified chain', async () => {
    for (const key of [a.flowKey, a.agentKey]) {
      const res = await call(eventsUrl, 'GET', `/api/approvals/${approvalId}/events`, { key });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        approvalId,
        chain: { ok: true, count: 2 },
        events: [
          {
            seq: 1,
            type: 'requested',
            actor: { type: 'flow' },
            data: { action: 'refund' },
            prevHash: null,
          },
          {
            seq: 2,
            type: 'decided',
            actor: { type: 'agent', id: '42', name: 'Ada' },
            data: { outcome: 'rejected', note: 'not now' },
          },
        ],
      });
      expect(res.body.events[1].prevHash).toBe(res.body.events[0].hash);
      expect(verifyChain(res.body.events.map(fromEventView))).toEqual({ ok: true, count: 2 });
    }
  });

  it("When another account's key asks, then the answer is the same 404 as for an unknown approval", async () => {
    const foreign = await call(eventsUrl, 'GET', `/api/approvals/${approvalId}/events`, { key: b.agentKey });
    const unknown = await call(eventsUrl, 'GET', `/api/approvals/${newApprovalId()}/events`, { key: b.agentKey });
    const malformed = await call(eventsUrl, 'GET', '/api/approvals/not-an-id/events', { key: b.agentKey });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(foreign.text).toBe(unknown.text);
    expect(malformed.text).toBe(unknown.text);
  });

  it('When an approval of the account has no events (stored before the trail existed), then 200 with an empty list', async () => {
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: a.flowKey,
      body: uniqueRequest(),
    });
    await auditModels(gw.conn).AuditEvent.deleteMany({ approvalId: created.body.approvalId });
    const res = await call(eventsUrl, 'GET', `/api/approvals/${created.body.approvalId}/events`, { key: a.agentKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ approvalId: created.body.approvalId, events: [], chain: { ok: true, count: 0 } });
  });

  it('When the key is missing or a query parameter is unknown, then it answers 401 or 400', async () => {
    expect((await call(eventsUrl, 'GET', `/api/approvals/${approvalId}/events`)).status).toBe(401);
    const res = await call(eventsUrl, 'GET', `/api/approvals/${approvalId}/events?since=1`, { key: a.agentKey });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'since', message: 'Unknown field' }]);
  });
});

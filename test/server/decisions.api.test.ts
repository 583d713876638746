import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';

let gw: TestGateway;
let slow: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
let slowKeys: Awaited<ReturnType<TestGateway['createAccount']>>;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'decide' });
  keys = await gw.createAccount();
  // [1] Same race with a 50 ms pause between reading the approval and writing the decision.
  slow = await startTestGateway({ label: 'decide_slow', decideDelayMs: 50 });
  slowKeys = await slow.createAccount();
});
afterAll(async () => {
  await gw?.close();
  await slow?.close();
});

async function pendingApproval(target: TestGateway, flowKey: string, extra: Record<string, unknown> = {}) {
  const res = await call(target.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: flowKey,
    body: uniqueRequest(extra),
  });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

const decide = (
  target: TestGateway,
  agentKey: string,
  id: string,
  body: unknown,
  headers: Record<string, string> = {},
) => call(target.url, 'POST', `/api/agent/approvals/${id}/decision`, { key: agentKey, body, headers });

describe('Agent decisions', () => {
  it('When an agent rejects without a note, or sends modifiedDetails with reject, then 400 and the approval stays pending', async () => {
    const id = await pendingApproval(gw, keys.flowKey);
    const noNote = await decide(gw, keys.agentKey, id, { decision: 'reject', note: '  ', agent });
    expect(noNote.status).toBe(400);
    expect(noNote.body.errors).toEqual([{ path: 'note', message: 'A note is required to reject' }]);
    const withChanges = await decide(gw, keys.agentKey, id, {
      decision: 'reject',
      note: 'no',
      modifiedDetails: { amount: 1 },
      agent,
    });
    expect(withChanges.status).toBe(400);
    expect(withChanges.body.errors[0].path).toBe('modifiedDetails');
    const noAgent = await decide(gw, keys.agentKey, id, { decision: 'approve' });
    expect(noAgent.body.errors[0].path).toBe('agent');
    const read = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(read.body.status).toBe('pending');
  });

  it('When an agent rejects with a note, then the approval is rejected with the note and the agent', async () => {
    const id = await pendingApproval(gw, keys.flowKey);
    const res = await decide(gw, keys.agentKey, id, { decision: 'reject', note: 'Customer retained', agent });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'rejected',
      decisionNote: 'Customer retained',
      modifiedDetails: null,
      decidedBy: { type: 'agent', id: '42', name: 'Ada Agent' },
    });
    expect(Date.parse(res.body.decidedAt)).toBeGreaterThan(0);
  });

  it('When a second decision comes, then 409 with the current approval', async () => {
    const id = await pendingApproval(gw, keys.flowKey);
    await decide(gw, keys.agentKey, id, { decision: 'approve', agent });
    const second = await decide(gw, keys.agentKey, id, {
      decision: 'reject',
      note: 'late',
      agent: { id: 7, name: 'Bob' },
    });
    expect(second.status).toBe(409);
    expect(second.body.type).toBe('urn:cheqpoint:problem:already-decided');
    expect(second.body.approval).toMatchObject({
      approvalId: id,
      status: 'approved',
      decidedBy: { name: 'Ada Agent' },
    });
    expect(second.body.detail).toMatch(/approved.*Ada Agent/);
  });

  it('When the agent list is read for a ticket, then pending come first (oldest first), then the latest decided', async () => {
    const ticket = `T-${Date.now()}`;
    const first = await pendingApproval(gw, keys.flowKey, { details: { ticket_id: ticket, n: 1 } });
    const second = await pendingApproval(gw, keys.flowKey, { details: { ticketId: ticket, n: 2 } });
    const third = await pendingApproval(gw, keys.flowKey, { details: { ticket_id: ticket, n: 3 } });
    await decide(gw, keys.agentKey, first, { decision: 'approve', agent });
    const list = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${ticket}`, { key: keys.agentKey });
    expect(list.status).toBe(200);
    expect(list.body.approvals.map((a: { approvalId: string }) => a.approvalId)).toEqual([second, third, first]);
    const queue = await call(gw.url, 'GET', '/api/agent/approvals?status=pending&action=refund&limit=200', {
      key: keys.agentKey,
    });
    const ids = queue.body.approvals.map((a: { approvalId: string }) => a.approvalId);
    expect(ids).toContain(second);
    expect(ids).not.toContain(first);
  });
});

describe('Decision races', () => {
  for (const [label, getTarget] of [
    ['At once', () => [gw, keys] as const],
    ['With 50 ms between read and write', () => [slow, slowKeys] as const],
  ] as const) {
    it(`${label}: When 50 agents decide at once, half approve and half reject (10 rounds), then one wins and 49 get 409`, async () => {
      const [target, k] = getTarget();
      for (let round = 0; round < 10; round++) {
        const id = await pendingApproval(target, k.flowKey);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            decide(
              target,
              k.agentKey,
              id,
              i % 2 === 0
                ? { decision: 'approve', note: `a${i}`, agent: { id: i, name: `Agent ${i}` } }
                : { decision: 'reject', note: `r${i}`, agent: { id: i, name: `Agent ${i}` } },
            ),
          ),
        );
        const winners = results.filter((r) => r.status === 200);
        const losers = results.filter((r) => r.status === 409);
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(49);
        const winner = winners[0]!.body;
        for (const loser of losers) expect(loser.body.approval.status).toBe(winner.status);
        expect(await target.conn.collection('decisions').countDocuments({ _id: id as never })).toBe(1);
        const read = await call(target.url, 'GET', `/api/approvals/${id}`, { key: k.flowKey });
        expect(read.body).toMatchObject({
          status: winner.status,
          decisionNote: winner.decisionNote,
          decidedBy: winner.decidedBy,
        });
      }
    });
  }

  it('When the winner retries with the same Idempotency-Key, then it gets 200 and the original answer', async () => {
    const id = await pendingApproval(gw, keys.flowKey);
    const headers = { 'idempotency-key': `decide-${id}` };
    const first = await decide(gw, keys.agentKey, id, { decision: 'approve', note: 'ok', agent }, headers);
    const retry = await decide(gw, keys.agentKey, id, { decision: 'approve', note: 'ok', agent }, headers);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const other = await decide(
      gw,
      keys.agentKey,
      id,
      { decision: 'approve', note: 'ok', agent },
      { 'idempotency-key': 'x' },
    );
    expect(other.status).toBe(409);
  });

  it('When a decision lands around the moment a wait subscribes (30 tries), then every wait returns it', async () => {
    for (let i = 0; i < 30; i++) {
      const id = await pendingApproval(gw, keys.flowKey);
      const wait = call(gw.url, 'GET', `/api/approvals/${id}?wait=10`, { key: keys.flowKey });
      await new Promise((r) => setTimeout(r, i % 5));
      await decide(gw, keys.agentKey, id, { decision: 'approve', agent });
      const res = await wait;
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('approved');
    }
  });

  it('When the decision is made by another gateway process on the same database, then the held wait is released', async () => {
    const other = await startTestGateway({ conn: gw.conn });
    try {
      const id = await pendingApproval(gw, keys.flowKey);
      const wait = call(gw.url, 'GET', `/api/approvals/${id}?wait=15`, { key: keys.flowKey });
      await new Promise((r) => setTimeout(r, 100));
      await decide(other, keys.agentKey, id, { decision: 'approve', note: 'from the other one', agent });
      const res = await wait;
      expect(res.body).toMatchObject({ status: 'approved', decisionNote: 'from the other one' });
    } finally {
      await other.stop();
    }
  });
});

describe('Bounded waits', () => {
  it('When nobody decides, then the wait ends with 202 pending and a Location; Prefer: wait is honoured and echoed', async () => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound', {
      key: keys.flowKey,
      body: uniqueRequest(),
      headers: { prefer: 'respond-async, wait=1' },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    expect(res.headers.get('location')).toBe(`/api/approvals/${res.body.approvalId}`);
  });

  it('When a keyed request is replayed after its decision, then it answers 200 with the decision at once', async () => {
    const body = uniqueRequest();
    const headers = { 'idempotency-key': `replay-${Date.now()}` };
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body, headers });
    await decide(gw, keys.agentKey, created.body.approvalId, { decision: 'approve', agent });
    const replay = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=20', { key: keys.flowKey, body, headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ approvalId: created.body.approvalId, status: 'approved' });
    const poll = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}?wait=20`, { key: keys.flowKey });
    expect(poll.status).toBe(200);
    expect(poll.body.status).toBe('approved');
    expect(gw.waiter.count).toBe(0);
  });

  it('When waiting clients disconnect, then their waits are released', async () => {
    const id = await pendingApproval(gw, keys.flowKey);
    const controllers = Array.from({ length: 5 }, () => new AbortController());
    const waits = controllers.map((c) =>
      fetch(`${gw.url}/api/approvals/${id}?wait=20`, {
        headers: { 'x-api-key': keys.flowKey },
        signal: c.signal,
      }).catch(() => null),
    );
    for (let i = 0; i < 50 && gw.waiter.count < 5; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gw.waiter.count).toBe(5);
    for (const c of controllers) c.abort();
    await Promise.all(waits);
    for (let i = 0; i < 50 && gw.waiter.count > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gw.waiter.count).toBe(0);
  });
});

import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { describePolicy } from '../../server/src/policies/policies.cli.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, type JsonResponse } from '../support/http.js';
import { until, type GatewayProcess } from '../support/process.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

/** Refunds over 500 need two distinct approvers, over 5,000 three; the rest one. */
const POLICY: Policy = {
  rules: [
    {
      name: 'huge-refunds',
      action: 'refund',
      conditions: { amount: { gt: 5000 } },
      outcome: 'require_human',
      approvals: 3,
    },
    {
      name: 'big-refunds',
      action: 'refund',
      conditions: { amount: { gt: 500 } },
      outcome: 'require_human',
      approvals: 2,
    },
  ],
};

const ada = { id: '1', name: 'Ada' };
const bob = { id: '2', name: 'Bob' };
const cy = { id: '3', name: 'Cy' };

let n = 0;
const refund = (amount: number, extra: Record<string, unknown> = {}) => ({
  action: 'refund',
  summary: `Refund ${amount}`,
  details: { ticket_id: '700', order: `q-${Date.now()}-${n++}`, amount },
  ...extra,
});

type Target = { url: string };
const decide = (target: Target, key: string, id: string, body: unknown, headers: Record<string, string> = {}) =>
  call(target.url, 'POST', `/api/agent/approvals/${id}/decision`, { key, body, headers });
const approve = (agent: { id: string; name: string }, note?: string) => ({
  decision: 'approve',
  agent,
  ...(note ? { note } : {}),
});
const reject = (agent: { id: string; name: string }) => ({ decision: 'reject', note: `No (${agent.name})`, agent });
const voterIds = (res: JsonResponse) => res.body.quorum.approvals.map((v: { agent: { id: string } }) => v.agent.id);

/** Resolves once settled; `settled()` tells whether it has (a held call that must not answer yet). */
function track<T>(promise: Promise<T>) {
  let done = false;
  void promise.then(() => (done = true));
  return { promise, settled: () => done };
}

describe('Quorum approvals on one gateway', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    gw = await startTestGateway({
      label: 'quorum',
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 },
    });
    keys = await gw.createAccount();
    await policiesRepository(gw.conn).setPolicy(keys.accountId, POLICY);
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  const pending = async (amount: number, extra: Record<string, unknown> = {}) => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: refund(amount, extra),
    });
    expect(res.status).toBe(202);
    return res.body;
  };

  it('When a 2-of-N rule matches, then the held call answers once, after the second distinct approval, with one callback and each vote audited', async () => {
    const path = `/quorum/${Date.now()}`;
    const held = track(
      call(gw.url, 'POST', '/api/webhooks/inbound?wait=20', {
        key: keys.flowKey,
        body: refund(900, { callbackUrl: receiver.url(path) }),
      }),
    );
    const id = await until(async () => {
      const list = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=700', { key: keys.agentKey });
      const found = list.body.approvals.find((a: { summary: string; status: string }) => a.status === 'pending');
      return found ? (found.approvalId as string) : null;
    }, 'the held approval');

    const first = await decide(gw, keys.agentKey, id, approve(ada, 'Checked the order'));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'pending',
      decidedBy: null,
      policy: { rule: 'big-refunds', approvalsRequired: 2 },
      quorum: { required: 2, approvals: [{ agent: { id: '1', name: 'Ada' }, note: 'Checked the order' }] },
    });
    const read = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(read.body).toMatchObject({ status: 'pending', quorum: first.body.quorum });
    await new Promise((r) => setTimeout(r, 300));
    expect(held.settled()).toBe(false);

    const second = await decide(gw, keys.agentKey, id, approve(bob));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'approved', decidedBy: { type: 'agent', id: '2', name: 'Bob' } });
    expect(voterIds(second)).toEqual(['1', '2']);
    const answer = await held.promise;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ approvalId: id, status: 'approved', quorum: { required: 2 } });
    expect(voterIds(answer)).toEqual(['1', '2']);

    await receiver.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(receiver.requests.filter((r) => r.path === path)).toHaveLength(1);

    const events = await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    const trail = events.body.events.map(
      (e: { type: string; actor: { type: string; id?: string } }) => `${e.type}:${e.actor.type}:${e.actor.id ?? ''}`,
    );
    expect(trail.slice(2, 5)).toEqual(['voted:agent:1', 'voted:agent:2', 'decided:agent:2']);
    expect(trail.slice(0, 2).map((t: string) => t.split(':')[0])).toEqual(['requested', 'policy_evaluated']);
    expect(events.body.events[2].data).toMatchObject({ slot: 1, required: 2, note: 'Checked the order' });
    expect(events.body.chain.ok).toBe(true);
  });

  it('When the same agent approves twice, then the second answers 409 already-voted and does not count; a retry with the same Idempotency-Key replays', async () => {
    const { approvalId: id } = await pendingApproval();
    const headers = { 'idempotency-key': `vote-${id}` };
    const first = await decide(gw, keys.agentKey, id, approve(ada), headers);
    expect(first.status).toBe(200);
    const retry = await decide(gw, keys.agentKey, id, approve(ada), headers);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: 'pending', quorum: first.body.quorum });
    const again = await decide(gw, keys.agentKey, id, approve({ ...ada, name: 'Ada again' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      type: 'urn:cheqpoint:problem:already-decided',
      reason: 'already-voted',
      approval: { status: 'pending', quorum: { required: 2 } },
    });
    expect(again.body.detail).toMatch(/already approved.*needs 1 more approval from other agents/);
    expect(voterIds({ ...again, body: again.body.approval })).toEqual(['1']);
    const read = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(read.body.status).toBe('pending');
    expect(voterIds(read)).toEqual(['1']);
  });

  it('When the same agent approves 10 times at once, then one counts and the approval stays pending', async () => {
    const { approvalId: id } = await pendingApproval();
    const results = await Promise.all(Array.from({ length: 10 }, () => decide(gw, keys.agentKey, id, approve(cy))));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const read = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(read.body.status).toBe('pending');
    expect(voterIds(read)).toEqual(['3']);
  });

  it('When one agent rejects after an approval, then it is rejected at once and a later approval gets 409 with that state', async () => {
    const { approvalId: id } = await pendingApproval(6000);
    expect((await decide(gw, keys.agentKey, id, approve(ada))).status).toBe(200);
    const no = await decide(gw, keys.agentKey, id, reject(bob));
    expect(no.status).toBe(200);
    expect(no.body).toMatchObject({ status: 'rejected', decidedBy: { id: '2' }, quorum: { required: 3 } });
    expect(voterIds(no)).toEqual(['1']);
    const late = await decide(gw, keys.agentKey, id, approve(cy));
    expect(late.status).toBe(409);
    expect(late.body.approval).toMatchObject({ status: 'rejected', decidedBy: { id: '2' } });
    expect(late.body.detail).toMatch(/already rejected \(by Bob\)/);
  });

  it('When an agent approves, then a held ticket list (since its cursor) wakes with the progress before the quorum is complete', async () => {
    const ticket = `qlist-${Date.now()}`;
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: refund(900, { details: { ticket_id: ticket, amount: 900 } }),
    });
    const first = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${ticket}`, { key: keys.agentKey });
    expect(first.body.approvals[0].quorum).toEqual({ required: 2, approvals: [] });
    const startedAt = Date.now();
    // Held calls as the app makes them, each from the last answer's cursor. The first may also wake for
    // the intake itself: the list's cursor is taken before its read, so a change that lands during the
    // read is in the list and reported once more after the cursor (by design: never lost).
    const held = (async () => {
      let cursor = first.body.cursor as string;
      for (let wakes = 1; wakes <= 3; wakes++) {
        const res = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${ticket}&since=${cursor}&wait=15`, {
          key: keys.agentKey,
        });
        if (res.body.approvals[0].quorum.approvals.length > 0) return { res, wakes };
        cursor = res.body.cursor as string;
      }
      throw new Error('three held list calls woke without the vote');
    })();
    await new Promise((r) => setTimeout(r, 200));
    expect((await decide(gw, keys.agentKey, created.body.approvalId, approve(ada))).status).toBe(200);
    const { res: woken, wakes } = await held;
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(wakes).toBeLessThanOrEqual(2);
    expect(woken.body.approvals[0]).toMatchObject({ status: 'pending', quorum: { required: 2 } });
    expect(voterIds({ ...woken, body: woken.body.approvals[0] })).toEqual(['1']);
  });

  it('When an approver sends modifiedDetails on a quorum approval, then 422 names the field and nothing is counted', async () => {
    const { approvalId: id } = await pendingApproval();
    const res = await decide(gw, keys.agentKey, id, { ...approve(ada), modifiedDetails: { amount: 600 } });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'modifiedDetails' })]);
    const read = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(read.body.quorum.approvals).toEqual([]);
  });

  it('When the policy is shown, then a quorum rule says how many distinct approvers it needs', async () => {
    const stored = await policiesRepository(gw.conn).getPolicy(keys.accountId);
    expect(describePolicy(keys.accountId, stored)).toContain(
      '  2. big-refunds: refund when amount > 500 → require_human [needs 2 distinct approvers]',
    );
  });

  it('When the rule asks for one approver, then there is no quorum and one approval decides, as before', async () => {
    const small = await pendingApproval(100);
    expect(small.quorum).toBeNull();
    expect(small.policy).not.toHaveProperty('approvalsRequired');
    const res = await decide(gw, keys.agentKey, small.approvalId, approve(ada));
    expect(res.body).toMatchObject({ status: 'approved', quorum: null });
  });

  async function pendingApproval(amount = 900) {
    return pending(amount);
  }

  it('Races: 20 rounds of 20 concurrent mixed decisions (distinct and repeated agents, approvals and rejections) on a 3-of-N approval, half of them through a second gateway; each ends in exactly one outcome, one answer to the held call and one callback', async () => {
    const second = await startTestGateway({
      conn: gw.conn,
      decideDelayMs: 5,
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 },
    });
    try {
      for (let round = 0; round < 20; round++) {
        const path = `/race/${round}/${Date.now()}`;
        const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: keys.flowKey,
          body: refund(9000, { callbackUrl: receiver.url(path) }),
        });
        const id = created.body.approvalId as string;
        const held = call(second.url, 'GET', `/api/approvals/${id}?wait=20`, { key: keys.flowKey });
        // Rounds differ in how many reject (none in every fourth round, so quorums complete too).
        const rejectEvery = [0, 7, 5, 3][round % 4] as number;
        const bodies = Array.from({ length: 20 }, (_, i) => {
          const who = { id: String(i % 12), name: `Agent ${i % 12}` };
          return rejectEvery > 0 && i % rejectEvery === rejectEvery - 1 ? reject(who) : approve(who, `a${i}`);
        });
        const results = await Promise.all(
          bodies.map((body, i) => decide(i % 2 === 0 ? gw : second, keys.agentKey, id, body)),
        );
        for (const r of results) expect([200, 409]).toContain(r.status);

        const final = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
        expect(['approved', 'rejected']).toContain(final.body.status);
        expect(await gw.conn.collection('decisions').countDocuments({ _id: id as never })).toBe(1);
        const ok = results.map((r, i) => ({ r, body: bodies[i]! })).filter(({ r }) => r.status === 200);
        const rejectWins = ok.filter(({ body }) => body.decision === 'reject');
        const voters = voterIds(final);
        expect(new Set(voters).size).toBe(voters.length);
        if (final.body.status === 'rejected') {
          expect(rejectWins).toHaveLength(1);
          expect(final.body.decidedBy.id).toBe(rejectWins[0]!.body.agent.id);
        } else {
          expect(rejectWins).toHaveLength(0);
          expect(voters.length).toBeGreaterThanOrEqual(3);
          expect(final.body.decidedBy.id).toBe(voters[2]);
          // Whoever got 200 "approved" was one of the three votes that made the quorum.
          for (const { r, body } of ok.filter(({ r }) => r.body.status === 'approved')) {
            expect(voters.slice(0, 3)).toContain(body.agent.id);
            expect(r.body.decidedBy).toEqual(final.body.decidedBy);
          }
          if (rejectEvery === 0) expect(ok.filter(({ r }) => r.body.status === 'approved').length).toBeGreaterThan(0);
        }
        // Each approval answered 200 was counted, and an agent who sent several was counted (and answered 200) once.
        const okApprovals = ok.filter(({ body }) => body.decision === 'approve').map(({ body }) => body.agent.id);
        for (const agentId of okApprovals) expect(voters).toContain(agentId);
        expect(new Set(okApprovals).size).toBe(okApprovals.length);

        const answer = await held;
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ status: final.body.status, decidedBy: final.body.decidedBy });
        await until(async () => receiver.requests.some((r) => r.path === path) || null, `callback ${round}`);
      }
      await new Promise((r) => setTimeout(r, 400));
      for (let round = 0; round < 20; round++) {
        expect(receiver.requests.filter((r) => r.path.startsWith(`/race/${round}/`))).toHaveLength(1);
      }
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('Quorum across two gateway processes', () => {
  let procs: TwoGatewayProcesses | undefined;
  let conn: Connection;
  let keys: CreatedAccount;
  let receiver: Receiver;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    receiver = await startReceiver();
    procs = await startTwoGatewayProcesses(
      'quorum_procs',
      { CHEQPOINT_CALLBACK_ALLOWLIST: `127.0.0.1:${receiver.port}`, CHEQPOINT_DISPATCH_INTERVAL_MS: '50' },
      (db, account) => policiesRepository(db).setPolicy(account.accountId, POLICY),
    );
    ({ conn, keys, a, b } = procs);
  });
  afterAll(async () => {
    await procs?.close();
    await receiver?.close();
  });

  it('When 50 concurrent 2-of-N votes and rejections arrive on both processes (5 rounds), then each approval has one outcome, its held call one answer and one callback', async () => {
    for (let round = 0; round < 5; round++) {
      const path = `/procs/${round}`;
      const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: refund(900, { callbackUrl: receiver.url(path) }),
      });
      const id = created.body.approvalId as string;
      const held = call(b.url, 'GET', `/api/approvals/${id}?wait=20`, { key: keys.flowKey });
      // Odd rounds have one rejection in the middle of the approvals; agents appear more than once.
      const bodies = Array.from({ length: 50 }, (_, i) => {
        const who = { id: String(i % 30), name: `Agent ${i % 30}` };
        return round % 2 === 1 && i === 13 ? reject(who) : approve(who);
      });
      const results = await Promise.all(bodies.map((body, i) => decide(i % 2 === 0 ? a : b, keys.agentKey, id, body)));
      for (const r of results) expect([200, 409]).toContain(r.status);
      const final = await call(a.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
      expect(await conn.collection('decisions').countDocuments({ _id: id as never })).toBe(1);
      const voters = voterIds(final);
      expect(new Set(voters).size).toBe(voters.length);
      if (final.body.status === 'approved') {
        expect(final.body.decidedBy.id).toBe(voters[1]);
        expect(results.some((r, i) => r.status === 200 && bodies[i]!.decision === 'reject')).toBe(false);
      } else {
        expect(final.body.status).toBe('rejected');
        expect(results.filter((r, i) => r.status === 200 && bodies[i]!.decision === 'reject')).toHaveLength(1);
      }
      const answer = await held;
      expect(answer.body).toMatchObject({ status: final.body.status, decidedBy: final.body.decidedBy });
      await until(async () => receiver.requests.some((r) => r.path === path) || null, `callback ${round}`);
    }
    await new Promise((r) => setTimeout(r, 400));
    for (let round = 0; round < 5; round++) {
      expect(receiver.requests.filter((r) => r.path === `/procs/${round}`)).toHaveLength(1);
    }
  }, 60_000);
});

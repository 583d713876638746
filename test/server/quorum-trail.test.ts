import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, type JsonResponse } from '../support/http.js';
import { until } from '../support/process.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';

/**
 * Issue 16 (1): the trail of a quorum race. Only counted votes are stored as votes: `quorum.approvals`
 * lists exactly the votes that counted, the audit trail has exactly one `voted` event per counted vote,
 * in the order they counted, and none after the `decided` event — on one process and on two.
 */

/** Refunds over 500 need two distinct approvers, over 5,000 three. */
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

type Target = { url: string };
type Body = { decision: 'approve' | 'reject'; agent: { id: string; name: string }; note?: string };
type Event = { type: string; actor: { type: string; id?: string }; data: Record<string, unknown> };

let n = 0;
const refund = (amount: number) => ({
  action: 'refund',
  summary: `Refund ${amount}`,
  details: { ticket_id: '716', order: `t-${Date.now()}-${n++}`, amount },
});
const who = (i: number) => ({ id: `a${i}`, name: `Agent ${i}` });
const approve = (i: number): Body => ({ decision: 'approve', agent: who(i), note: `yes ${i}` });
const reject = (i: number): Body => ({ decision: 'reject', agent: who(i), note: `no ${i}` });

async function create(target: Target, flowKey: string, amount: number): Promise<string> {
  const res = await call(target.url, 'POST', '/api/webhooks/inbound?wait=0', { key: flowKey, body: refund(amount) });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

/** Sends every body at once, body i to targets[i % targets.length]. */
const race = (targets: Target[], agentKey: string, id: string, bodies: Body[]) =>
  Promise.all(
    bodies.map((body, i) =>
      call((targets[i % targets.length] as Target).url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: agentKey,
        body,
      }),
    ),
  );

/**
 * What the race must leave: one outcome; the counted votes (`quorum.approvals`) are exactly the agents
 * whose approval answered 200; the trail has one `voted` event per counted vote, in that order, all of
 * them before the single `decided` event, and nothing of the votes that lost.
 */
async function expectTrailOfRace(
  target: Target,
  keys: CreatedAccount,
  id: string,
  bodies: Body[],
  results: JsonResponse[],
) {
  for (const r of results) expect([200, 409]).toContain(r.status);
  const final = (await call(target.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey })).body;
  expect(['approved', 'rejected']).toContain(final.status);
  const required = final.quorum.required as number;
  const counted = (final.quorum.approvals as { agent: { id: string } }[]).map((v) => v.agent.id);
  const ok = results.map((r, i) => ({ r, body: bodies[i] as Body })).filter(({ r }) => r.status === 200);
  const okApprovals = ok.filter(({ body }) => body.decision === 'approve').map(({ body }) => body.agent.id);
  const okRejections = ok.filter(({ body }) => body.decision === 'reject');
  expect([...okApprovals].sort()).toEqual([...counted].sort());
  if (final.status === 'approved') {
    expect(counted).toHaveLength(required);
    expect(okRejections).toHaveLength(0);
    expect(final.decidedBy.id).toBe(counted[required - 1]);
  } else {
    expect(counted.length).toBeLessThan(required);
    expect(okRejections).toHaveLength(1);
    expect(final.decidedBy.id).toBe(okRejections[0]?.body.agent.id);
  }

  const trail = await until(async () => {
    const res = await call(target.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    const events = res.body.events as Event[];
    return events.some((e) => e.type === 'decided') ? res.body : null;
  }, `the decided event of ${id}`);
  const events = trail.events as Event[];
  expect(trail.chain.ok).toBe(true);
  const types = events.map((e) => e.type);
  expect(types.filter((t) => t === 'decided')).toHaveLength(1);
  const decidedAt = types.indexOf('decided');
  expect(types.slice(decidedAt + 1)).not.toContain('voted');
  const voted = events.filter((e) => e.type === 'voted');
  expect(voted.map((e) => e.actor.id)).toEqual(counted);
  expect(new Set(voted.map((e) => e.data['slot'])).size).toBe(voted.length);
  expect(events[decidedAt]?.actor.id).toBe(final.decidedBy.id);
  return { final, counted, events };
}

describe('The trail of a quorum race on one gateway', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;

  beforeAll(async () => {
    gw = await startTestGateway({ label: 'quorum_trail' });
    keys = await gw.createAccount();
    await policiesRepository(gw.conn).setPolicy(keys.accountId, POLICY);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('When 20 distinct agents approve a 2-vote approval at once (3 rounds), then 2 answer 200 and 18 409, and only the 2 counted votes are stored and audited, before the decision', async () => {
    for (let round = 0; round < 3; round++) {
      const id = await create(gw, keys.flowKey, 900);
      const bodies = Array.from({ length: 20 }, (_, i) => approve(i));
      const results = await race([gw], keys.agentKey, id, bodies);
      expect(results.filter((r) => r.status === 200)).toHaveLength(2);
      expect(results.filter((r) => r.status === 409)).toHaveLength(18);
      const { final, events } = await expectTrailOfRace(gw, keys, id, bodies, results);
      expect(final.status).toBe('approved');
      expect(events.filter((e) => e.type === 'voted')).toHaveLength(2);
    }
  }, 60_000);

  it('When approvals and rejections race on 2-of-N and 3-of-N approvals (8 rounds, agents repeating), then the trail reads as what happened: the counted votes, then one decision', async () => {
    for (let round = 0; round < 8; round++) {
      const amount = round % 2 === 0 ? 900 : 9000;
      const id = await create(gw, keys.flowKey, amount);
      // Rejections at different places of the burst; every agent sends twice.
      const rejectAt = [3, 7, 11, 15][Math.floor(round / 2)] as number;
      const bodies = Array.from({ length: 20 }, (_, i) => (i === rejectAt ? reject(i % 10) : approve(i % 10)));
      const results = await race([gw], keys.agentKey, id, bodies);
      await expectTrailOfRace(gw, keys, id, bodies, results);
    }
  }, 60_000);

  it('When one approval is counted and then a rejection ends a 3-of-N approval, then the trail is requested, policy_evaluated, voted, decided (rejected) and a later vote leaves nothing', async () => {
    const id = await create(gw, keys.flowKey, 9000);
    const decide = (body: Body) =>
      call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, { key: keys.agentKey, body });
    expect((await decide(approve(1))).status).toBe(200);
    expect((await decide(reject(2))).status).toBe(200);
    expect((await decide(approve(3))).status).toBe(409);
    expect((await decide(reject(4))).status).toBe(409);
    const trail = (await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey })).body;
    expect(trail.events.map((e: Event) => `${e.type}:${e.actor.type === 'agent' ? e.actor.id : ''}`)).toEqual([
      'requested:',
      'policy_evaluated:',
      'voted:a1',
      'decided:a2',
    ]);
    expect(trail.events[3].data).toMatchObject({ outcome: 'rejected', note: 'no 2' });
    const read = (await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey })).body;
    expect(read.quorum.approvals.map((v: { agent: { id: string } }) => v.agent.id)).toEqual(['a1']);
  });

  /** Slots as a gateway that stopped right after claiming them left them: no audit event, no decision. */
  const stopAfterSlots = (id: string, slots: Record<string, unknown>[]) =>
    gw.conn.collection('approval_votes').insertMany(
      slots.map((slot, i) => ({
        _id: `${id}:vote:${i + 1}`,
        approvalId: id,
        accountId: keys.accountId,
        n: i + 1,
        at: new Date(Date.now() - 1000 + i),
        ...slot,
      })) as never[],
    );
  const voteSlot = (i: number) => ({
    agent: { ...who(i), verified: false },
    note: `yes ${i}`,
    decisionRequestId: null,
  });
  const trailOf = async (id: string) => {
    const res = await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    expect(res.body.chain.ok).toBe(true);
    return (res.body.events as Event[]).map((e) => `${e.type}:${e.actor.type === 'agent' ? e.actor.id : ''}`);
  };

  it('When a gateway stopped after the vote that completed a quorum (before the decision and the votes’ events), then the next vote decides it as the slots say: approved by that vote, both votes audited before the decision, the late vote 409 and not stored', async () => {
    const id = await create(gw, keys.flowKey, 900);
    await stopAfterSlots(id, [voteSlot(1), voteSlot(2)]);
    const late = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: approve(3),
    });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/already approved \(by Agent 2\)/);
    expect(late.body.approval).toMatchObject({ status: 'approved', decidedBy: { id: 'a2' } });
    expect(late.body.approval.quorum.approvals.map((v: { agent: { id: string } }) => v.agent.id)).toEqual(['a1', 'a2']);
    expect(await gw.conn.collection('approval_votes').countDocuments({ approvalId: id })).toBe(2);
    expect(await trailOf(id)).toEqual(['requested:', 'policy_evaluated:', 'voted:a1', 'voted:a2', 'decided:a2']);
  });

  it('When a gateway stopped after a rejection’s closing slot, then a later vote finds it rejected by that agent (409), and the trail is the vote before it, then the rejection', async () => {
    const id = await create(gw, keys.flowKey, 9000);
    await stopAfterSlots(id, [
      voteSlot(1),
      {
        closes: {
          outcome: 'rejected',
          note: 'no 2',
          modifiedDetailsJson: null,
          decidedBy: { type: 'agent', ...who(2), verified: false },
          decisionRequestId: null,
        },
      },
    ]);
    const late = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: approve(3),
    });
    expect(late.status).toBe(409);
    expect(late.body.approval).toMatchObject({ status: 'rejected', decidedBy: { id: 'a2' }, decisionNote: 'no 2' });
    expect(await trailOf(id)).toEqual(['requested:', 'policy_evaluated:', 'voted:a1', 'decided:a2']);
  });

  it('When a quorum completed before its expiry but its decision was never written, then the expiry does not overturn it: a read past the expiry finds it approved by the completing vote', async () => {
    const id = await create(gw, keys.flowKey, 900);
    await stopAfterSlots(id, [voteSlot(4), voteSlot(5)]);
    await gw.conn
      .collection('approvals')
      .updateOne({ _id: id as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const read = (await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey })).body;
    expect(read).toMatchObject({ status: 'approved', decidedBy: { type: 'agent', id: 'a5' } });
    expect(await trailOf(id)).toEqual(['requested:', 'policy_evaluated:', 'voted:a4', 'voted:a5', 'decided:a5']);
  });

  it('When a vote’s first attempt stopped between its voter record and its slot, then its retry counts it, once: a third vote of the same agent is 409 already-voted', async () => {
    const id = await create(gw, keys.flowKey, 900);
    await gw.conn
      .collection('approval_voters')
      .insertOne({ _id: `${id}:agent:a8`, approvalId: id, decisionRequestId: null, at: new Date() } as never);
    const decide = () =>
      call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, { key: keys.agentKey, body: approve(8) });
    const retry = await decide();
    expect(retry.status).toBe(200);
    expect(retry.body.quorum.approvals.map((v: { agent: { id: string } }) => v.agent.id)).toEqual(['a8']);
    const again = await decide();
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe('already-voted');
    expect(await trailOf(id)).toEqual(['requested:', 'policy_evaluated:', 'voted:a8']);
  });

  it('When an open quorum expires, then the expiry closes it after the votes so far: rejected by expiry, the vote audited before the expired event, and a later vote 409', async () => {
    const id = await create(gw, keys.flowKey, 9000);
    const first = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: approve(6),
    });
    expect(first.status).toBe(200);
    await gw.conn
      .collection('approvals')
      .updateOne({ _id: id as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const late = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: approve(7),
    });
    expect(late.status).toBe(409);
    expect(late.body.approval).toMatchObject({ status: 'rejected', decidedBy: { type: 'expiry' } });
    expect(late.body.approval.quorum.approvals.map((v: { agent: { id: string } }) => v.agent.id)).toEqual(['a6']);
    expect(await trailOf(id)).toEqual(['requested:', 'policy_evaluated:', 'voted:a6', 'expired:']);
  });
});

describe('The trail of a quorum race across two gateway processes', () => {
  let procs: TwoGatewayProcesses | undefined;

  beforeAll(async () => {
    procs = await startTwoGatewayProcesses('quorum_trail_procs', {}, (db, account) =>
      policiesRepository(db).setPolicy(account.accountId, POLICY),
    );
  });
  afterAll(async () => {
    await procs?.close();
  });

  it('When 20 distinct agents approve a 2-vote approval at once on both processes (3 rounds), then 2 answer 200, and only the 2 counted votes are stored and audited, before the decision', async () => {
    const { a, b, keys } = procs as TwoGatewayProcesses;
    for (let round = 0; round < 3; round++) {
      const id = await create(a, keys.flowKey, 900);
      const bodies = Array.from({ length: 20 }, (_, i) => approve(i));
      const results = await race([a, b], keys.agentKey, id, bodies);
      expect(results.filter((r) => r.status === 200)).toHaveLength(2);
      expect(results.filter((r) => r.status === 409)).toHaveLength(18);
      const { final } = await expectTrailOfRace(b, keys, id, bodies, results);
      expect(final.status).toBe('approved');
    }
  }, 60_000);

  it('When approvals and rejections race on both processes (6 rounds, 2-of-N and 3-of-N), then the trail is the counted votes, then one decision', async () => {
    const { a, b, keys } = procs as TwoGatewayProcesses;
    for (let round = 0; round < 6; round++) {
      const id = await create(a, keys.flowKey, round % 2 === 0 ? 900 : 9000);
      const rejectAt = [2, 9, 16][Math.floor(round / 2)] as number;
      const bodies = Array.from({ length: 20 }, (_, i) => (i === rejectAt ? reject(i % 12) : approve(i % 12)));
      const results = await race([a, b], keys.agentKey, id, bodies);
      await expectTrailOfRace(a, keys, id, bodies, results);
    }
  }, 60_000);
});

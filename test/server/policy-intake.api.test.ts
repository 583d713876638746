import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '@cheqpoint/shared';
import { REPO_ROOT } from '../../server/src/config.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call } from '../support/http.js';

let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
let other: Awaited<ReturnType<TestGateway['createAccount']>>;
let n = 0;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'policyintake' });
  keys = await gw.createAccount('with-policy');
  other = await gw.createAccount('without-policy');
  const file = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs', 'policies.example.json'), 'utf8'));
  const parsed = parsePolicy(file);
  if (!parsed.success) throw new Error('example policy does not parse');
  await policiesRepository(gw.conn).setPolicy(keys.accountId, parsed.data);
});
afterAll(async () => gw?.close());

const ask = (key: string, action: string, details: Record<string, unknown>, wait = 0) =>
  call(gw.url, 'POST', `/api/webhooks/inbound?wait=${wait}`, {
    key,
    body: { action, summary: `${action} ${n}`, details: { ticket_id: '555', n: n++, ...details } },
  });

describe('Policies at intake (docs/policies.example.json)', () => {
  it('When a 15 refund with no prior refund comes in, then the rule approves it at once with a 200', async () => {
    const res = await ask(keys.flowKey, 'refund', { amount: 15 }, 20);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'approved',
      decidedBy: { type: 'policy', rule: 'small-first-refunds' },
      decisionNote: 'Refunds up to 20 with no prior refund are approved automatically',
      policy: { outcome: 'approve', rule: 'small-first-refunds' },
    });
  });

  it('When delete_account comes in, then it is rejected at once', async () => {
    const res = await ask(keys.flowKey, 'delete_account', { user: 'u1' }, 20);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', decidedBy: { type: 'policy', rule: 'no-account-deletion' } });
  });

  it('When a 200 refund (or one with a prior refund) comes in, then it waits for a person, with the rule expiry and bounds', async () => {
    const big = await ask(keys.flowKey, 'refund', { amount: 200 });
    expect(big.status).toBe(202);
    expect(Date.parse(big.body.expiresAt) - Date.parse(big.body.createdAt)).toBe(4 * 60 * 60 * 1000);
    expect(big.body.policy).toMatchObject({ outcome: 'require_human', rule: 'other-refunds' });
    expect(big.body.policy.editableFields.amount).toMatchObject({ mayOnlyDecrease: true });
    const prior = await ask(keys.flowKey, 'refund', { amount: 10, prior_refund: 'r_1' });
    expect(prior.status).toBe(202);
    const cancel = await ask(keys.flowKey, 'cancel_subscription', {});
    expect(Date.parse(cancel.body.expiresAt) - Date.parse(cancel.body.createdAt)).toBe(60 * 60 * 1000);
  });

  it('When an account has no policy, then everything waits for a person and no verdict is recorded', async () => {
    const res = await ask(other.flowKey, 'refund', { amount: 15 });
    expect(res.status).toBe(202);
    expect(res.body.policy).toBeNull();
  });
});

describe('Bounded edits', () => {
  it('When a person raises the amount or edits a locked field, then 422 with the reason and the approval stays pending', async () => {
    const created = await ask(keys.flowKey, 'refund', { amount: 200, reason: 'late delivery' });
    const id = created.body.approvalId;
    const details = created.body.details;
    const raise = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', modifiedDetails: { ...details, amount: 250 }, agent },
    });
    expect(raise.status).toBe(422);
    expect(raise.body.type).toBe('urn:cheqpoint:problem:unprocessable');
    expect(raise.body.errors).toEqual([expect.objectContaining({ path: 'modifiedDetails.amount' })]);
    const locked = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', modifiedDetails: { ...details, ticket_id: '999' }, agent },
    });
    expect(locked.status).toBe(422);
    expect((await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey })).body.status).toBe('pending');
    const lower = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: {
        decision: 'approve',
        note: 'half',
        modifiedDetails: { ...details, amount: 100, reason: 'goodwill' },
        agent,
      },
    });
    expect(lower.status).toBe(200);
    expect(lower.body.modifiedDetails).toMatchObject({ amount: 100, reason: 'goodwill' });
  });
});

describe('Audit trail through the gateway', () => {
  it('When an approval is requested, evaluated and decided, then its events form a verified chain', async () => {
    const created = await ask(keys.flowKey, 'refund', { amount: 300 });
    const id = created.body.approvalId;
    await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'reject', note: 'Too much', agent },
    });
    const events = await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    expect(events.status).toBe(200);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual([
      'requested',
      'policy_evaluated',
      'decided',
    ]);
    expect(events.body.events[2].actor).toMatchObject({ type: 'agent', id: '42', name: 'Ada Agent' });
    expect(events.body.chain.ok).toBe(true);
    const foreign = await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: other.agentKey });
    expect(foreign.status).toBe(404);
  });

  it('When a policy decides at intake, then the trail says so', async () => {
    const res = await ask(keys.flowKey, 'delete_account', { user: 'u2' });
    const events = await call(gw.url, 'GET', `/api/approvals/${res.body.approvalId}/events`, { key: keys.flowKey });
    expect(
      events.body.events.map((e: { type: string; actor: { type: string } }) => `${e.type}:${e.actor.type}`),
    ).toEqual(['requested:flow', 'policy_evaluated:policy', 'decided:policy']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InsightsSchema, parsePolicy, SuggestionsSchema, TIME_TO_DECISION_BUCKETS } from '@cheqpoint/shared';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';

const clock = movableClock();
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;

const ada = { id: 'zd_1', name: 'Ada' };
const grace = { id: 'zd.2$x', name: 'Grace' };

async function request(extra: Record<string, unknown> = {}, wait = 0) {
  const body = uniqueRequest(extra);
  const res = await call(gw.url, 'POST', `/api/webhooks/inbound?wait=${wait}`, { key: keys.flowKey, body });
  expect([200, 202]).toContain(res.status);
  return { ...(res.body as { approvalId: string; status: string }), details: body.details as Record<string, unknown> };
}

async function decide(id: string, body: Record<string, unknown>) {
  const res = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, { key: keys.agentKey, body });
  expect(res.status, res.text).toBe(200);
}

/** The documented interpolation: the bucket holding the rank, linear between its bounds. */
function expectedPercentile(seconds: number[], q: number) {
  const bounds = TIME_TO_DECISION_BUCKETS as readonly number[];
  const counts = Array.from({ length: bounds.length + 1 }, () => 0);
  for (const s of seconds) {
    const i = bounds.findIndex((b) => s <= b);
    counts[i === -1 ? bounds.length : i]! += 1;
  }
  const rank = q * seconds.length;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > 0 && before + counts[i]! >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + ((bounds[i]! - lower) * (rank - before)) / counts[i]!;
    }
    before += counts[i]!;
  }
  return null;
}

beforeAll(async () => {
  gw = await startTestGateway({ label: 'insights', clock });
  keys = await gw.createAccount();
  const parsed = parsePolicy({
    rules: [
      { name: 'lookups', action: 'lookup', outcome: 'approve' },
      { name: 'refunds', action: 'refund', outcome: 'require_human', editableFields: { amount: { type: 'number' } } },
    ],
    expiries: { archive: 60, decided_later: 3 * 86_400 },
  });
  if (!parsed.success) throw new Error('bad policy');
  await policiesRepository(gw.conn).setPolicy(keys.accountId, parsed.data);
});
afterAll(async () => gw?.close());

describe('Insights', () => {
  it('When requests are decided by people, a rule and the expiry, then GET /api/agent/insights counts each as seeded, with p50/p90 from the histogram', async () => {
    // People: 6 refunds decided after 10 s, 3 after 100 s, 1 after 1,000 s; one changed, two rejected.
    const refunds = await Promise.all(Array.from({ length: 10 }, () => request()));
    clock.advance(10_000);
    for (const r of refunds.slice(0, 4)) await decide(r.approvalId, { decision: 'approve', agent: ada });
    await decide(refunds[4]!.approvalId, {
      decision: 'approve',
      agent: ada,
      modifiedDetails: { ...refunds[4]!.details, amount: 20 },
    });
    await decide(refunds[5]!.approvalId, { decision: 'reject', agent: grace, note: 'no' });
    clock.advance(90_000);
    for (const r of refunds.slice(6, 9)) await decide(r.approvalId, { decision: 'approve', agent: grace });
    clock.advance(900_000);
    await decide(refunds[9]!.approvalId, { decision: 'reject', agent: ada, note: 'too late' });
    // A rule: 3 lookups approved at once.
    for (let i = 0; i < 3; i++) expect((await request({ action: 'lookup' })).status).toBe('approved');
    // The expiry: 2 archives past their 60 s, 1 left pending.
    await request({ action: 'archive' });
    await request({ action: 'archive' });
    clock.advance(61_000);
    await gw.sweepNow();
    await request({ action: 'archive' });

    const res = await call(gw.url, 'GET', '/api/agent/insights?days=7', { key: keys.agentKey });
    expect(res.status).toBe(200);
    expect(res.body.days).toBe(7);
    // The answer is the shared contract, exactly (no field more, none missing).
    expect(InsightsSchema.strict().parse(res.body)).toBeTruthy();
    const refund = res.body.actions.find((a: { action: string }) => a.action === 'refund');
    expect(refund).toMatchObject({
      requests: 10,
      decided: 10,
      pending: 0,
      decidedByPolicy: 0,
      decidedByPeople: 10,
      expired: 0,
      approved: 7,
      approvedWithChanges: 1,
      rejected: 2,
      shares: { byPolicy: 0, byPeople: 1, approvalRate: 0.8, changeRate: 1 / 8 },
    });
    const seconds = [10, 10, 10, 10, 10, 10, 100, 100, 100, 1000];
    expect(refund.timeToDecision.count).toBe(10);
    expect(refund.timeToDecision.p50Seconds).toBeCloseTo(expectedPercentile(seconds, 0.5)!, 6);
    expect(refund.timeToDecision.p90Seconds).toBeCloseTo(expectedPercentile(seconds, 0.9)!, 6);
    expect(refund.timeToDecision.p50Seconds).toBeGreaterThan(5);
    expect(refund.timeToDecision.p50Seconds).toBeLessThanOrEqual(15);
    const lookup = res.body.actions.find((a: { action: string }) => a.action === 'lookup');
    expect(lookup).toMatchObject({ requests: 3, decidedByPolicy: 3, approved: 3, shares: { byPolicy: 1 } });
    const archive = res.body.actions.find((a: { action: string }) => a.action === 'archive');
    expect(archive).toMatchObject({ requests: 3, decided: 2, expired: 2, pending: 1, shares: { expired: 1 } });
    expect(res.body.total).toMatchObject({
      requests: 16,
      decided: 15,
      decidedByPolicy: 3,
      decidedByPeople: 10,
      expired: 2,
    });
    expect(res.body.total.daily).toHaveLength(7);
    expect(res.body.total.daily.at(-1)).toMatchObject({
      requests: 16,
      approved: 10,
      approvedWithChanges: 1,
      rejected: 2,
      expired: 2,
    });
    expect(res.body.agents).toEqual([
      { agentId: 'zd_1', name: 'Ada', decisions: 6, approved: 4, approvedWithChanges: 1, rejected: 1 },
      { agentId: 'zd.2$x', name: 'Grace', decisions: 4, approved: 3, approvedWithChanges: 0, rejected: 1 },
    ]);
  });

  it('When the requester holds its call while a person decides, then that decision counts as decided while waiting', async () => {
    const before = (await call(gw.url, 'GET', '/api/agent/insights', { key: keys.agentKey })).body;
    const created = await request({ action: 'wait_test' });
    const held = call(gw.url, 'GET', `/api/approvals/${created.approvalId}?wait=10`, { key: keys.flowKey });
    for (let i = 0; i < 100 && gw.waiter.count === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await decide(created.approvalId, { decision: 'approve', agent: ada });
    expect((await held).status).toBe(200);
    const after = (await call(gw.url, 'GET', '/api/agent/insights', { key: keys.agentKey })).body;
    const action = after.actions.find((a: { action: string }) => a.action === 'wait_test');
    expect(action).toMatchObject({ decidedWhileWaiting: 1, shares: { withinWait: 1 } });
    expect(after.total.decidedWhileWaiting).toBe(before.total.decidedWhileWaiting + 1);
  });

  it('When an action and an agent id are named __proto__ or constructor (details refuse such keys), then each is counted as itself and the gateway keeps answering', async () => {
    const created = await request({ action: '__proto__', details: { ticket_id: 'proto-1', amount: 12 } });
    await decide(created.approvalId, { decision: 'approve', agent: { id: 'constructor', name: 'Proto' } });
    const other = await request({ action: 'constructor' });
    await decide(other.approvalId, {
      decision: 'reject',
      note: 'Not this one',
      agent: { id: '__proto__', name: 'Ctor' },
    });

    const res = await call(gw.url, 'GET', '/api/agent/insights', { key: keys.agentKey });
    expect(res.status, res.text).toBe(200);
    const byAction = new Map(res.body.actions.map((a: { action: string }) => [a.action, a]));
    expect(byAction.get('__proto__')).toMatchObject({ requests: 1, approved: 1 });
    expect(byAction.get('constructor')).toMatchObject({ requests: 1, rejected: 1 });
    expect(Object.prototype).not.toHaveProperty('rq');
    // Every later request is still counted by the request metrics (a polluted prototype made them throw).
    expect((await call(gw.url, 'GET', '/api/agent/insights/suggestions', { key: keys.agentKey })).status).toBe(200);
    expect((await call(gw.url, 'GET', '/metrics')).status).not.toBe(500);
  });

  it.each(['0', '367', 'abc', '1.5', ''])(
    'When days is %j, then 400 problem+json names days and nothing is read',
    async (days) => {
      const res = await call(gw.url, 'GET', `/api/agent/insights?days=${days}`, { key: keys.agentKey });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('days');
    },
  );

  it('When the query has an unknown parameter or days twice, then 400 names it', async () => {
    const unknown = await call(gw.url, 'GET', '/api/agent/insights?day=3', { key: keys.agentKey });
    expect(unknown.status).toBe(400);
    const twice = await call(gw.url, 'GET', '/api/agent/insights/suggestions?days=3&days=4', { key: keys.agentKey });
    expect(twice.status).toBe(400);
    expect(twice.body.errors.map((e: { path: string }) => e.path)).toContain('days');
  });

  it('When the flow key or no key asks, then 403 and 401', async () => {
    expect((await call(gw.url, 'GET', '/api/agent/insights', { key: keys.flowKey })).status).toBe(403);
    expect((await call(gw.url, 'GET', '/api/agent/insights')).status).toBe(401);
  });

  it('When the OpenAPI document is read, then it describes both insights calls, their days parameter and the shared schemas of their answers', async () => {
    const doc = (await call(gw.url, 'GET', '/api/openapi.json')).body;
    const asJson = (schema: z.ZodType) =>
      JSON.parse(
        JSON.stringify(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' })),
      );
    expect(doc.components.schemas.Insights).toEqual(asJson(InsightsSchema));
    expect(doc.components.schemas.Suggestions).toEqual(asJson(SuggestionsSchema));
    for (const [path, schema] of [
      ['/api/agent/insights', 'Insights'],
      ['/api/agent/insights/suggestions', 'Suggestions'],
    ]) {
      const get = doc.paths[path!].get;
      expect(get.responses['200'].content['application/json'].schema).toEqual({
        $ref: `#/components/schemas/${schema}`,
      });
      expect(get.parameters).toEqual([
        expect.objectContaining({
          name: 'days',
          in: 'query',
          schema: expect.objectContaining({ minimum: 1, maximum: 366 }),
        }),
      ]);
      expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
    }
  });

  // Moves the clock by days: keep it last.
  it('When a request is decided two days later, then the decision counts on its own day, and a finished day read before (kept in memory) reads the same as a new process reads it', async () => {
    const insights = async (url: string) => {
      const res = await call(url, 'GET', '/api/agent/insights?days=7', { key: keys.agentKey });
      expect(res.status, res.text).toBe(200);
      const { generatedAt: _generatedAt, ...rest } = res.body;
      return rest;
    };
    const late = await request({ action: 'decided_later' });
    const dayOfRequest = new Date(clock.now()).toISOString().slice(0, 10);
    expect(
      (await insights(gw.url)).actions.find((a: { action: string }) => a.action === 'decided_later'),
    ).toMatchObject({
      requests: 1,
      pending: 1,
    });
    clock.advance(2 * 86_400_000 + 3_600_000);
    // The request's day is over: this read keeps it in memory.
    await insights(gw.url);
    await decide(late.approvalId, { decision: 'approve', agent: ada });
    const dayOfDecision = new Date(clock.now()).toISOString().slice(0, 10);

    const after = await insights(gw.url);
    const action = after.actions.find((a: { action: string }) => a.action === 'decided_later');
    expect(action).toMatchObject({ requests: 1, decided: 1, approved: 1, pending: 0 });
    const daily = new Map(action.daily.map((d: { day: string }) => [d.day, d]));
    expect(daily.get(dayOfRequest)).toMatchObject({ requests: 1, approved: 0 });
    expect(daily.get(dayOfDecision)).toMatchObject({ requests: 0, approved: 1 });
    // A process that never read these days (nothing in memory) reads the same numbers from the database.
    const fresh = await startTestGateway({ label: 'insights-fresh', conn: gw.conn, clock });
    try {
      expect(await insights(fresh.url)).toEqual(after);
    } finally {
      await fresh.close();
    }
  });
});

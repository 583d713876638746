import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { movableClock } from '../support/clock.js';
import { agent, call, uniqueRequest } from '../support/http.js';

const clock = movableClock();
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
let n = 0;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'idem', clock });
  keys = await gw.createAccount();
});
afterAll(async () => gw?.close());

const create = (body: unknown, idempotencyKey?: string) =>
  call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    body,
    headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  });
const approvalsWith = (filter: Record<string, unknown>) => gw.conn.collection('approvals').countDocuments(filter);
const nextKey = () => `key-${Date.now()}-${n++}`;

describe('Inbound idempotency', () => {
  it('When the same key and body are sent twice, then the same approval comes back and one row exists', async () => {
    const key = nextKey();
    const body = uniqueRequest();
    const first = await create(body, key);
    const second = await create(body, key);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.approvalId).toBe(first.body.approvalId);
    expect(await approvalsWith({ _id: first.body.approvalId })).toBe(1);
    expect(await approvalsWith({ detailsJson: JSON.stringify(body.details) })).toBe(1);
  });

  it('When the same key comes with another body, then 422 and the original is unchanged', async () => {
    const key = nextKey();
    const body = uniqueRequest();
    const first = await create(body, key);
    const other = await create({ ...body, summary: 'Something else' }, key);
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:cheqpoint:problem:idempotency-key-reused');
    const read = await call(gw.url, 'GET', `/api/approvals/${first.body.approvalId}`, { key: keys.flowKey });
    expect(read.body).toEqual(first.body);
  });

  it('When 50 identical keyed requests arrive at once (20 rounds), then each round makes exactly one approval', async () => {
    for (let round = 0; round < 20; round++) {
      const key = nextKey();
      const body = uniqueRequest();
      const results = await Promise.all(Array.from({ length: 50 }, () => create(body, key)));
      const ids = new Set(results.filter((r) => r.status === 202).map((r) => r.body.approvalId));
      for (const r of results) expect([202, 409]).toContain(r.status);
      expect(ids.size).toBe(1);
      expect(await approvalsWith({ detailsJson: JSON.stringify(body.details) })).toBe(1);
    }
  });

  it('When 50 identical keyless requests arrive at once, then one approval is made', async () => {
    const body = uniqueRequest();
    const results = await Promise.all(Array.from({ length: 50 }, () => create(body)));
    expect(new Set(results.map((r) => r.body.approvalId)).size).toBe(1);
    expect(await approvalsWith({ detailsJson: JSON.stringify(body.details) })).toBe(1);
  });

  it('When a key is sent quoted and bare, then it is the same key; too long or control characters are 400', async () => {
    const body = uniqueRequest();
    const bare = nextKey();
    const first = await create(body, bare);
    const quoted = await create(body, `"${bare}"`);
    expect(quoted.body.approvalId).toBe(first.body.approvalId);
    for (const bad of ['x'.repeat(256), 'a\tb', '""']) {
      const res = await create(uniqueRequest(), bad);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('Idempotency-Key');
    }
  });

  it('When no key is sent, then an identical pending request returns the same approval, and after a decision a new one', async () => {
    const body = uniqueRequest();
    const first = await create(body);
    const again = await create(body);
    expect(again.body.approvalId).toBe(first.body.approvalId);
    const different = await create({ ...body, details: { ...body.details, amount: 26 } });
    expect(different.body.approvalId).not.toBe(first.body.approvalId);
    await call(gw.url, 'POST', `/api/agent/approvals/${first.body.approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    const afterDecision = await create(body);
    expect(afterDecision.status).toBe(202);
    expect(afterDecision.body.approvalId).not.toBe(first.body.approvalId);
  });

  it('When a 400 is answered, then the key is not consumed and the corrected retry succeeds', async () => {
    const key = nextKey();
    const bad = await create({ ...uniqueRequest(), summary: '' }, key);
    expect(bad.status).toBe(400);
    const good = await create(uniqueRequest(), key);
    expect(good.status).toBe(202);
  });

  it('When a key is past its 24 h retention, then it counts as new, and the sweeper removes old records', async () => {
    const key = nextKey();
    const body = uniqueRequest();
    const first = await create(body, key);
    const keyless = await create(uniqueRequest());
    expect(keyless.status).toBe(202);
    clock.advance(24 * 60 * 60 * 1000 + 1_000);
    const later = await create(body, key);
    expect(later.status).toBe(202);
    expect(later.body.approvalId).not.toBe(first.body.approvalId);
    const before = await gw.conn.collection('idempotency_records').countDocuments({});
    const swept = await gw.sweepNow();
    expect(swept.idempotencyRecordsRemoved).toBeGreaterThan(0);
    const after = await gw.conn.collection('idempotency_records').countDocuments({});
    expect(after).toBe(before - swept.idempotencyRecordsRemoved);
    expect(
      await gw.conn.collection('idempotency_records').findOne({ approvalId: later.body.approvalId }),
    ).not.toBeNull();
  });
});

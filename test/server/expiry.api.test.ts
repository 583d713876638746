import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';

const DAY = 24 * 60 * 60 * 1000;
const clock = movableClock();
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'expiry', clock });
  keys = await gw.createAccount();
});
afterAll(async () => gw?.close());

async function pending() {
  const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body: uniqueRequest() });
  expect(res.status).toBe(202);
  return res.body;
}

describe('Expiry', () => {
  it('When an approval is left alone past its 24 h expiry, then the sweeper rejects it as expired and no decision can overturn it', async () => {
    const created = await pending();
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(DAY);
    clock.advance(DAY + 1_000);
    const swept = await gw.sweepNow();
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    const read = await call(gw.url, 'GET', `/api/approvals/${created.approvalId}`, { key: keys.flowKey });
    expect(read.body).toMatchObject({
      status: 'rejected',
      decidedBy: { type: 'expiry' },
      decisionNote: 'Expired: nobody decided within 24 h.',
      modifiedDetails: null,
    });
    const late = await call(gw.url, 'POST', `/api/agent/approvals/${created.approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    expect(late.status).toBe(409);
    expect(late.body.approval.decidedBy).toEqual({ type: 'expiry' });
  });

  it('When an agent decides after the expiry but before the sweeper runs, then the expiry wins and the agent gets 409', async () => {
    const created = await pending();
    clock.advance(DAY + 1_000);
    const late = await call(gw.url, 'POST', `/api/agent/approvals/${created.approvalId}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    expect(late.status).toBe(409);
    expect(late.body.approval).toMatchObject({ status: 'rejected', decidedBy: { type: 'expiry' } });
  });

  it('When a call is held while its approval expires, then the wait is released with the rejection', async () => {
    const created = await pending();
    const held = call(gw.url, 'GET', `/api/approvals/${created.approvalId}?wait=15`, { key: keys.flowKey });
    for (let i = 0; i < 50 && gw.waiter.count === 0; i++) await new Promise((r) => setTimeout(r, 20));
    clock.advance(DAY + 1_000);
    await gw.sweepNow();
    const res = await held;
    expect(res.body).toMatchObject({ status: 'rejected', decidedBy: { type: 'expiry' } });
  });

  it('When agents decide and the sweeper expires at the same instant (10 rounds), then there is exactly one outcome', async () => {
    for (let round = 0; round < 10; round++) {
      const created = await pending();
      clock.advance(DAY);
      const decides = Array.from({ length: 10 }, (_, i) =>
        call(gw.url, 'POST', `/api/agent/approvals/${created.approvalId}/decision`, {
          key: keys.agentKey,
          body: { decision: 'approve', note: `n${i}`, agent },
        }),
      );
      const [results] = await Promise.all([Promise.all(decides), gw.sweepNow(), gw.sweepNow()]);
      expect(await gw.conn.collection('decisions').countDocuments({ _id: created.approvalId })).toBe(1);
      const final = await call(gw.url, 'GET', `/api/approvals/${created.approvalId}`, { key: keys.flowKey });
      const winners = results.filter((r) => r.status === 200);
      expect(winners.length).toBeLessThanOrEqual(1);
      if (winners.length === 1) expect(final.body.decidedBy.type).toBe('agent');
      else expect(final.body.decidedBy).toEqual({ type: 'expiry' });
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.approval.status).toBe(final.body.status);
      clock.advance(1_000);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

/**
 * Issue 16 (4): a redelivery asked for while an attempt is in flight was answered 202 "pending" and did
 * nothing (no send, no event). It is now a 409 problem saying so, and nothing changes; once the attempt
 * has ended, the same call redelivers as usual — also the moment it ended (a 202 that was never sent,
 * when the attempt's bookkeeping or the poll removed the entry the redelivery had just written).
 */
describe('Redeliver while a callback attempt is in flight', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  let receiver: Receiver;
  let release: () => void = () => {};

  beforeAll(async () => {
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first attempt to /held is held until the test releases it; every other one answers at once.
    let isHeld = false;
    receiver = await startReceiver((req) => {
      if (req.path !== '/held' || isHeld) return { status: 200 };
      isHeld = true;
      return { kind: 'hold', release: held };
    });
    gw = await startTestGateway({
      label: 'redeliver_flight',
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50, CHEQPOINT_CALLBACK_TIMEOUT_MS: 10_000 },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => {
    release();
    await gw?.close();
    await receiver?.close();
  });

  it('When redeliver is asked while the first attempt is held, then 409 attempt-in-flight, nothing is sent or recorded for it; after the attempt ends, redeliver sends again (202)', async () => {
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ callbackUrl: receiver.url('/held') }),
    });
    const id = created.body.approvalId as string;
    const decided = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    expect(decided.status).toBe(200);
    await receiver.waitForRequests(1);
    const events = async () =>
      (await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey })).body.events as {
        type: string;
      }[];
    const before = await events();

    const redeliver = () => call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.agentKey });
    const inFlight = await redeliver();
    expect(inFlight.status).toBe(409);
    expect(inFlight.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(inFlight.headers.get('retry-after')).toBe('1');
    expect(inFlight.body).toMatchObject({
      type: 'urn:cheqpoint:problem:callback-in-flight',
      status: 409,
      reason: 'attempt-in-flight',
      attempt: 1,
    });
    expect(inFlight.body.detail).toMatch(/attempt 1 of this callback is being sent right now/i);
    expect(await events()).toEqual(before);

    release();
    await until(
      async () =>
        (await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey })).body.callback.status === 'delivered',
      'the held attempt recorded',
    );
    expect(receiver.requests).toHaveLength(1);

    const queued = await redeliver();
    expect(queued.status).toBe(202);
    expect(queued.body.callback.status).toBe('pending');
    await receiver.waitForRequests(2);
    expect(receiver.requests[1]?.headers['webhook-id']).toBe(`msg_${id}`);
    const trail = (await events()).map((e) => e.type);
    expect(trail.filter((t) => t === 'redelivered')).toHaveLength(1);
  });

  it('When redeliver is asked the moment an attempt has recorded its delivery (50 rounds), then the resend is always sent: neither the attempt’s end nor the poll drops the outbox entry the redelivery wrote', async () => {
    const decisions = gw.conn.collection<{ _id: string; delivery: { state: string } }>('decisions');
    for (let round = 0; round < 50; round++) {
      const path = `/just-delivered/${round}`;
      const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url(path) }),
      });
      const id = created.body.approvalId as string;
      const at = () => receiver.requests.filter((r) => r.path === path).length;
      expect(
        (
          await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
            key: keys.agentKey,
            body: { decision: 'approve', agent },
          })
        ).status,
      ).toBe(200);
      // As soon as the delivery reads delivered (the attempt may still be finishing its bookkeeping).
      for (;;) {
        const doc = await decisions.findOne({ _id: id });
        if (doc?.delivery.state === 'delivered') break;
      }
      const queued = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.agentKey });
      expect(queued.status).toBe(202);
      await until(() => at() === 2 || null, `the redelivery of round ${round}`, 5_000);
    }
  }, 90_000);
});

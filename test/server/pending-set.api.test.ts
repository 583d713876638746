import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';

const DAY = 24 * 3600 * 1000;
const clock = movableClock();

/**
 * The pending set's queue order and ticket index through create, decide and expire, on two gateway
 * processes sharing one database (each keeps its own set, current through the change feed).
 */
describe('The pending set across processes (queue order, by ticket)', () => {
  let a: TestGateway;
  let b: TestGateway;
  let keys: CreatedAccount;

  const submit = async (gw: TestGateway, ticket: string, action: string) => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ action, details: { ticket_id: ticket, n: Math.random() } }),
    });
    expect(res.status).toBe(202);
    return res.body.approvalId as string;
  };
  const list = async (gw: TestGateway, query: string): Promise<string[]> => {
    const res = await call(gw.url, 'GET', `/api/agent/approvals?${query}`, { key: keys.agentKey });
    expect(res.status).toBe(200);
    return (res.body.approvals as { approvalId: string }[]).map((x) => x.approvalId);
  };
  const queueIs = (gw: TestGateway, query: string, want: string[]) =>
    until(async () => JSON.stringify(await list(gw, query)) === JSON.stringify(want), `${query} = ${want.length}`);

  beforeAll(async () => {
    const config = { CHEQPOINT_WATCH_INTERVAL_MS: 250 };
    a = await startTestGateway({ label: 'pending_set', clock, config });
    b = await startTestGateway({ conn: a.conn.useDb(a.conn.name, { useCache: false }), clock, config });
    keys = await a.createAccount();
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  it('When approvals are created, decided and expired on either process, then both queues keep creation order, per action too, and each ticket lists its own pending ones', async () => {
    const created: { id: string; ticket: string; action: string }[] = [];
    for (let n = 0; n < 8; n++) {
      clock.advance(1_000); // distinct creation times, in this order
      const gw = n % 2 === 0 ? a : b;
      const ticket = `ps-${n % 3}`;
      const action = n % 4 === 3 ? 'cancel_subscription' : 'refund';
      created.push({ id: await submit(gw, ticket, action), ticket, action });
    }
    const ids = (f: (c: (typeof created)[number]) => boolean) => created.filter(f).map((c) => c.id);
    for (const gw of [a, b]) {
      await queueIs(
        gw,
        'status=pending&limit=50',
        ids(() => true),
      );
      await queueIs(gw, 'status=pending&action=refund&limit=3', ids((c) => c.action === 'refund').slice(0, 3));
      await queueIs(
        gw,
        'status=pending&action=cancel_subscription',
        ids((c) => c.action === 'cancel_subscription'),
      );
      await queueIs(
        gw,
        'ticketId=ps-1&status=pending',
        ids((c) => c.ticket === 'ps-1'),
      );
    }

    // Decided on B (one of A's) and on A (one of B's): both leave both queues, the order of the rest holds.
    const [first, second] = [created[2]!, created[5]!];
    for (const [gw, id] of [
      [b, first.id],
      [a, second.id],
    ] as const) {
      const res = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: { decision: 'approve', agent },
      });
      expect(res.status).toBe(200);
    }
    const left = (c: (typeof created)[number]) => c.id !== first.id && c.id !== second.id;
    for (const gw of [a, b]) {
      await queueIs(gw, 'status=pending&limit=50', ids(left));
      await queueIs(
        gw,
        'status=pending&action=refund',
        ids((c) => left(c) && c.action === 'refund'),
      );
      await queueIs(
        gw,
        `ticketId=${second.ticket}&status=pending`,
        ids((c) => left(c) && c.ticket === second.ticket),
      );
    }

    // Past their expiry, swept on A: gone from B's queue and tickets too; a new one is alone in both.
    clock.advance(DAY + 1_000);
    await a.sweepNow();
    const late = await submit(b, 'ps-1', 'refund');
    for (const gw of [a, b]) {
      await queueIs(gw, 'status=pending&limit=50', [late]);
      await queueIs(gw, 'ticketId=ps-1&status=pending', [late]);
      await queueIs(gw, 'ticketId=ps-0&status=pending', []);
    }
  });
});

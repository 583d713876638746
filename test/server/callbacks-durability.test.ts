import type { Connection } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { movableClock } from '../support/clock.js';
import { spawnGatewayProcess, until, waitForReady } from '../support/process.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../support/receiver.js';

const delivery = async (conn: Connection, id: string) =>
  (await approvalModels(conn).Decision.findById(id).lean())?.delivery ?? null;

const verify = (secret: string, req: ReceivedRequest) =>
  new Webhook(secret).verify(req.body, req.headers as Record<string, string>);

describe('The gateway process is killed with SIGKILL around a callback', () => {
  const dbName = uniqueDbName('cb_kill');
  let conn: Connection;
  let keys: CreatedAccount;
  let receiver: Receiver;
  let reply: (n: number) => Reply = () => ({ status: 200 });
  const children: { kill: () => void }[] = [];

  /**
   * Runs the real entry point (`tsx server/src/main.ts`) against the test database, as one process
   * (`node --import tsx`), so that SIGKILL hits the gateway itself and not a wrapper.
   */
  async function spawnGateway(crashAt?: 'before-send' | 'after-send') {
    const gateway = await spawnGatewayProcess({
      MONGODB_URI: `${inject('mongodbUri')}${dbName}`,
      CHEQPOINT_CALLBACK_ALLOWLIST: `127.0.0.1:${receiver.port}`,
      CHEQPOINT_DISPATCH_INTERVAL_MS: '100',
      CHEQPOINT_CALLBACK_TIMEOUT_MS: '1000',
      CHEQPOINT_CALLBACK_LEASE_MS: '2000',
      ...(crashAt ? { CHEQPOINT_TEST_CRASH_AT: crashAt } : {}),
    });
    children.push({ kill: () => gateway.child.kill('SIGKILL') });
    await waitForReady(gateway);
    return gateway;
  }

  async function decideWithCallback(url: string, path: string) {
    const created = await call(url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ callbackUrl: receiver.url(path) }),
    });
    expect(created.status).toBe(202);
    const id = created.body.approvalId as string;
    // With a crash hook the process may die before it answers; the decision is committed either way.
    const decided = await call(url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'reject', note: 'Not eligible', agent },
    }).catch(() => null);
    if (decided) expect(decided.status).toBe(200);
    return id;
  }

  beforeAll(async () => {
    receiver = await startReceiver((_req, n) => reply(n));
    conn = await connectDatabase(inject('mongodbUri'), dbName);
    keys = await accountsService(conn).createAccount('kill-test');
  });
  afterAll(async () => {
    for (const child of children) child.kill();
    await conn?.dropDatabase().catch(() => {});
    await conn?.close();
    await receiver?.close();
  });

  it('When the process dies after claiming the delivery but before sending, then after a restart the callback arrives once', async () => {
    reply = () => ({ status: 200 });
    receiver.requests.length = 0;
    const first = await spawnGateway('before-send');
    const id = await decideWithCallback(first.url, '/t7-1');
    expect(await first.exited).toBe('SIGKILL');
    expect(receiver.requests).toHaveLength(0);
    expect(await delivery(conn, id)).toMatchObject({ state: 'pending', attempts: 1, leaseOwner: expect.any(String) });

    const second = await spawnGateway();
    const [req] = await receiver.waitForRequests(1, 15_000);
    expect(req?.headers['webhook-id']).toBe(`msg_${id}`);
    expect(verify(keys.signingSecret, req as ReceivedRequest)).toMatchObject({ approvalId: id, status: 'rejected' });
    await until(async () => (await delivery(conn, id))?.state === 'delivered', 'delivered');
    const status = await call(second.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(status.body).toMatchObject({
      status: 'rejected',
      callback: { status: 'delivered', attempts: 2, lastError: null, nextAttemptAt: null },
    });
    expect(receiver.requests).toHaveLength(1);
    second.child.kill('SIGKILL');
    await second.exited;
  });

  it('When the process is SIGKILLed right after answering the decision, then the callback arrives after restart', async () => {
    receiver.requests.length = 0;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    reply = (n) => (n === 1 ? { kind: 'hold', release: held } : { status: 200 });
    const first = await spawnGateway();
    const id = await decideWithCallback(first.url, '/t7-1b');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    release();

    const second = await spawnGateway();
    await until(async () => (await delivery(conn, id))?.state === 'delivered', 'delivered after restart');
    expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
    for (const req of receiver.requests) {
      expect(req.headers['webhook-id']).toBe(`msg_${id}`);
      expect(verify(keys.signingSecret, req)).toMatchObject({ approvalId: id });
    }
    second.child.kill('SIGKILL');
    await second.exited;
  });

  it('When the process dies after the receiver answered 200 but before recording it, then it is sent again with the same webhook-id', async () => {
    receiver.requests.length = 0;
    reply = () => ({ status: 200 });
    const first = await spawnGateway('after-send');
    const id = await decideWithCallback(first.url, '/t7-2');
    expect(await first.exited).toBe('SIGKILL');
    expect(receiver.requests).toHaveLength(1);
    expect(await delivery(conn, id)).toMatchObject({ state: 'pending', attempts: 1 });

    const second = await spawnGateway();
    const [one, two] = await receiver.waitForRequests(2, 15_000);
    expect(two?.headers['webhook-id']).toBe(one?.headers['webhook-id']);
    expect(two?.headers['webhook-id']).toBe(`msg_${id}`);
    expect(two?.body).toBe(one?.body);
    await until(async () => (await delivery(conn, id))?.state === 'delivered', 'delivered');
    expect(await delivery(conn, id)).toMatchObject({ attempts: 2, leaseOwner: null });
    second.child.kill('SIGKILL');
    await second.exited;
  });
});

describe('A stalled worker loses its lease', () => {
  it('When a worker stalls past its lease, then another delivers the callback and the stale result is not written', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver((_req, n) => (n === 1 ? { kind: 'hold', release: held } : { status: 200 }));
    const allowlist = [`127.0.0.1:${receiver.port}`];
    const config = { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 };
    const a = await startTestGateway({ label: 'cb_lease', allowlist, config });
    const later = movableClock();
    later.advance(61_000);
    let b: TestGateway | null = null;
    try {
      const keys = await a.createAccount();
      const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url('/lease') }),
      });
      const id = created.body.approvalId as string;
      await call(a.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: { decision: 'approve', agent },
      });
      await receiver.waitForRequests(1);
      const stalled = await delivery(a.conn, id);
      expect(stalled).toMatchObject({ state: 'pending', attempts: 1, leaseOwner: expect.stringContaining('#') });

      b = await startTestGateway({ conn: a.conn, allowlist, config, clock: later });
      await receiver.waitForRequests(2);
      await until(async () => (await delivery(a.conn, id))?.state === 'delivered', 'delivered by the second worker');
      const taken = await delivery(a.conn, id);
      expect(taken).toMatchObject({ state: 'delivered', attempts: 2, leaseOwner: null });

      // The stalled worker now gets its (late) answer; its write is fenced off.
      release();
      await until(() => a.dispatcher.activeCount === 0, 'the stalled attempt to end');
      expect(await delivery(a.conn, id)).toEqual(taken);
      expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([`msg_${id}`, `msg_${id}`]);
    } finally {
      await b?.stop();
      await a.close();
      await receiver.close();
    }
  });
});

describe('Graceful stop during a delivery', () => {
  it('When the gateway stops while a receiver is answering, then the attempt finishes and is recorded', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver(() => ({ kind: 'hold', release: held }));
    const gw = await startTestGateway({
      label: 'cb_drain',
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50, CHEQPOINT_SHUTDOWN_GRACE_MS: 5_000 },
    });
    try {
      const keys = await gw.createAccount();
      const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url('/drain') }),
      });
      const id = created.body.approvalId as string;
      await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: { decision: 'approve', agent },
      });
      await receiver.waitForRequests(1);
      const stopped = gw.stop();
      setTimeout(release, 200);
      await stopped;
      expect(await delivery(gw.conn, id)).toMatchObject({ state: 'delivered', attempts: 1, leaseOwner: null });
    } finally {
      await gw.close();
      await receiver.close();
    }
  });

  it('When an attempt outlasts the shutdown grace, then it is recorded as interrupted and the next process delivers it', async () => {
    const receiver = await startReceiver((_req, n) => (n === 1 ? { kind: 'hang' } : { status: 200 }));
    const allowlist = [`127.0.0.1:${receiver.port}`];
    const first = await startTestGateway({
      label: 'cb_interrupt',
      allowlist,
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50, CHEQPOINT_SHUTDOWN_GRACE_MS: 300 },
    });
    let second: TestGateway | null = null;
    try {
      const keys = await first.createAccount();
      const created = await call(first.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url('/interrupt') }),
      });
      const id = created.body.approvalId as string;
      await call(first.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: { decision: 'approve', agent },
      });
      await receiver.waitForRequests(1);
      await first.stop();
      const interrupted = await delivery(first.conn, id);
      expect(interrupted).toMatchObject({
        state: 'pending',
        attempts: 1,
        leaseOwner: null,
        lastError: 'Interrupted by a gateway shutdown',
      });
      expect((interrupted?.nextAttemptAt as Date).getTime()).toBeLessThanOrEqual(Date.now());

      second = await startTestGateway({ conn: first.conn, allowlist, config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 } });
      await receiver.waitForRequests(2);
      await until(async () => (await delivery(first.conn, id))?.state === 'delivered', 'delivered by the next process');
      expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([`msg_${id}`, `msg_${id}`]);
    } finally {
      await second?.close();
      await receiver.close();
    }
  });
});

describe('Several dispatchers on one database', () => {
  it('When three gateways dispatch 30 callbacks at once, then every one is delivered, and any duplicate carries the same webhook-id and body', async () => {
    const receiver = await startReceiver();
    const allowlist = [`127.0.0.1:${receiver.port}`];
    const config = { CHEQPOINT_DISPATCH_INTERVAL_MS: 30 };
    const first = await startTestGateway({ label: 'cb_many', allowlist, config });
    const others: TestGateway[] = [];
    try {
      others.push(await startTestGateway({ conn: first.conn, allowlist, config }));
      others.push(await startTestGateway({ conn: first.conn, allowlist, config }));
      const keys = await first.createAccount();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const created = await call(first.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: keys.flowKey,
          body: uniqueRequest({ callbackUrl: receiver.url(`/many/${i}`) }),
        });
        ids.push(created.body.approvalId as string);
      }
      await Promise.all(
        ids.map((id, i) =>
          call([first, ...others][i % 3]?.url as string, 'POST', `/api/agent/approvals/${id}/decision`, {
            key: keys.agentKey,
            body: { decision: 'approve', agent },
          }),
        ),
      );
      const { Decision } = approvalModels(first.conn);
      await until(
        async () => (await Decision.countDocuments({ 'delivery.state': 'delivered' })) === 30,
        'all delivered',
      );
      const byId = new Map<string, Set<string>>();
      for (const req of receiver.requests) {
        const id = String(req.headers['webhook-id']);
        byId.set(id, (byId.get(id) ?? new Set()).add(req.body));
      }
      expect([...byId.keys()].sort()).toEqual(ids.map((id) => `msg_${id}`).sort());
      for (const bodies of byId.values()) expect(bodies.size).toBe(1);
      expect(receiver.requests.length).toBeGreaterThanOrEqual(30);
    } finally {
      for (const gw of others) await gw.stop();
      await first.close();
      await receiver.close();
    }
  });
});

import net from 'node:net';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { verifyChain } from '../../server/src/audit/audit-chain.js';
import { listEvents } from '../../server/src/audit/audit.service.js';
import { boundedConnectionOptions, connectDatabase } from '../../server/src/db/connection.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest, type JsonResponse } from '../support/http.js';
import { spawnGatewayProcess, until, waitForReady } from '../support/process.js';
import { bsonStringElement, startTcpProxy, type ArmedFault } from '../support/tcp-proxy.js';

/**
 * Database faults through a TCP proxy between the
 * gateway and the database (loopback only), slow clients, and a stop with 200 held calls. Every case
 * asserts outcomes; time bounds are generous ceilings, not speed targets. The SIGKILL-with-deliveries-
 * in-flight cases are in callbacks-durability.test.ts.
 */

/** CHEQPOINT_DB_TIMEOUT_MS in these tests (production default: 5 s). */
const DB_TIMEOUT_MS = 2_000;

const databaseUri = () => new URL(inject('mongodbUri'));

type Rig = {
  proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  gw: TestGateway;
  keys: CreatedAccount;
  /** A connection that bypasses the proxy, to read what is really stored. */
  direct: Connection;
  close: () => Promise<void>;
};

/** An in-process gateway whose database connection goes through a fault proxy. */
async function gatewayBehindProxy(label: string, dbTimeoutMs = DB_TIMEOUT_MS): Promise<Rig> {
  const base = databaseUri();
  const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port) });
  const dbName = uniqueDbName(label);
  const conn = await connectDatabase(
    `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
    dbName,
    boundedConnectionOptions(dbTimeoutMs),
  );
  const direct = await connectDatabase(inject('mongodbUri'), dbName);
  const gw = await startTestGateway({ conn });
  const keys = await accountsService(direct).createAccount('faults');
  return {
    proxy,
    gw,
    keys,
    direct,
    close: async () => {
      await proxy.setMode('pass');
      await gw.stop();
      await conn.close().catch(() => {});
      await direct.dropDatabase().catch(() => {});
      await direct.close();
      await proxy.close();
    },
  };
}

const isProblem503 = (res: JsonResponse) =>
  res.status === 503 &&
  res.headers.get('retry-after') === '5' &&
  res.body?.type === 'urn:cheqpoint:problem:database-unavailable';

/** Retries `request` until it answers 2xx (the database is back), at most ~20 s. */
async function retryUntil2xx(request: () => Promise<JsonResponse>): Promise<JsonResponse> {
  let last: JsonResponse | null = null;
  for (let i = 0; i < 80; i++) {
    last = await request();
    if (last.status >= 200 && last.status < 300) return last;
    expect(last.status, last.text).toBe(503);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`still ${last?.status} after the database came back: ${last?.text}`);
}

describe('The database blackholed during intake', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await gatewayBehindProxy('blackhole');
  });
  afterAll(async () => rig?.close());

  const intake = (ticket: string, key: string) =>
    call(rig.gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: rig.keys.flowKey,
      body: { action: 'refund', summary: 'Refund', details: { ticket_id: ticket, amount: 10 } },
      headers: { 'idempotency-key': key },
    });

  const cases: { name: string; fault: ArmedFault | 'blackhole-now' }[] = [
    { name: 'before the request', fault: 'blackhole-now' },
    {
      name: 'right after the idempotency record is written (its acknowledgement lost)',
      fault: { match: bsonStringElement('insert', 'idempotency_records'), action: 'blackhole-after' },
    },
    {
      name: 'right after the approval is written (its acknowledgement lost)',
      fault: { match: bsonStringElement('insert', 'approvals'), action: 'blackhole-after' },
    },
  ];

  for (const [i, { name, fault }] of cases.entries()) {
    it(`When it goes silent ${name}, then 503 with Retry-After within 5 s; after recovery the keyed retry makes exactly one approval`, async () => {
      const ticket = `bh-${i}`;
      const key = `blackhole-key-${i}`;
      let triggered: Promise<void> = Promise.resolve();
      if (fault === 'blackhole-now') await rig.proxy.setMode('blackhole');
      else triggered = rig.proxy.arm(fault);

      const started = Date.now();
      const first = await intake(ticket, key);
      const elapsed = Date.now() - started;
      await triggered;
      expect(isProblem503(first), first.text).toBe(true);
      expect(elapsed).toBeLessThan(5_000);
      expect((await call(rig.gw.url, 'GET', '/readyz')).status).toBe(503);

      await rig.proxy.setMode('pass');
      const retried = await retryUntil2xx(() => intake(ticket, key));
      expect(retried.status).toBe(202);
      const again = await intake(ticket, key);
      expect(again.body.approvalId).toBe(retried.body.approvalId);

      const { Approval, Idempotency } = approvalModels(rig.direct);
      const stored = await Approval.find({ ticketId: ticket }).lean();
      expect(stored.map((a) => a._id)).toEqual([retried.body.approvalId]);
      expect(await Idempotency.countDocuments({ _id: `${rig.keys.accountId}:key:${key}` })).toBe(1);
    });
  }
});

describe('The database connection reset in the middle of a write', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await gatewayBehindProxy('reset');
    // Small refunds are approved by the policy at intake, so a retried intake must also finish that.
    await policiesRepository(rig.direct).setPolicy(rig.keys.accountId, {
      rules: [
        { name: 'small-auto-refunds', action: 'auto_refund', conditions: { amount: { lte: 20 } }, outcome: 'approve' },
        { name: 'everything-else', action: '*', outcome: 'require_human' },
      ],
    });
  });
  afterAll(async () => rig?.close());

  const writes = ['idempotency_records', 'approvals', 'audit_events', 'decisions'] as const;
  const actions = ['reset-before', 'reset-after'] as const;

  for (const collection of writes) {
    for (const action of actions) {
      it(`When the connection resets ${action === 'reset-before' ? 'before' : 'after'} the ${collection} insert reaches the database, then never a 2xx without the stored approval, and the keyed retry makes exactly one`, async () => {
        const ticket = `rs-${collection}-${action}`;
        const key = `reset-${collection}-${action}`;
        const intake = () =>
          call(rig.gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
            key: rig.keys.flowKey,
            body: { action: 'auto_refund', summary: 'Refund', details: { ticket_id: ticket, amount: 10 } },
            headers: { 'idempotency-key': key },
          });
        const triggered = rig.proxy.arm({ match: bsonStringElement('insert', collection), action });
        const first = await intake();
        await triggered;
        const { Approval } = approvalModels(rig.direct);
        if (first.status >= 200 && first.status < 300) {
          expect(await Approval.exists({ _id: first.body.approvalId })).not.toBeNull();
        } else {
          expect(isProblem503(first), first.text).toBe(true);
        }
        const retried = await retryUntil2xx(intake);
        if (first.status < 300) expect(retried.body.approvalId).toBe(first.body.approvalId);
        const stored = await Approval.find({ ticketId: ticket }).lean();
        expect(stored.map((a) => a._id)).toEqual([retried.body.approvalId]);
        // The intake finished exactly once, whichever write was cut: decided by the policy, with its
        // first events in place and one unbroken audit chain.
        expect(retried.status).toBe(200);
        expect(retried.body).toMatchObject({
          status: 'approved',
          decidedBy: { type: 'policy', rule: 'small-auto-refunds' },
        });
        const events = await listEvents(rig.direct, rig.keys.accountId, retried.body.approvalId as string);
        expect(events.map((e) => e.type)).toEqual(['requested', 'policy_evaluated', 'decided']);
        expect(verifyChain(events)).toEqual({ ok: true, count: 3 });
      });
    }
  }

  for (const action of actions) {
    it(`When the connection resets ${action === 'reset-before' ? 'before' : 'after'} the decision insert reaches the database, then never a 200 without the stored decision, and the keyed retry decides exactly once`, async () => {
      const created = await call(rig.gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: rig.keys.flowKey,
        body: uniqueRequest(),
      });
      expect(created.status).toBe(202);
      const id = created.body.approvalId as string;
      const decide = () =>
        call(rig.gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
          key: rig.keys.agentKey,
          body: { decision: 'approve', agent },
          headers: { 'idempotency-key': `decide-${action}` },
        });
      const triggered = rig.proxy.arm({ match: bsonStringElement('insert', 'decisions'), action });
      const first = await decide();
      await triggered;
      const { Decision } = approvalModels(rig.direct);
      if (first.status === 200) expect(await Decision.exists({ _id: id })).not.toBeNull();
      else expect(isProblem503(first), first.text).toBe(true);
      const retried = await retryUntil2xx(decide);
      expect(retried.status).toBe(200);
      expect(retried.body.status).toBe('approved');
      expect(await Decision.countDocuments({ _id: id })).toBe(1);
      const status = await call(rig.gw.url, 'GET', `/api/approvals/${id}`, { key: rig.keys.flowKey });
      expect(status.body.status).toBe('approved');
      // The decision's audit event is there once, also when the first request lost it with the ack.
      const events = await listEvents(rig.direct, rig.keys.accountId, id);
      expect(events.map((e) => e.type)).toEqual(['requested', 'policy_evaluated', 'decided']);
      expect(verifyChain(events)).toEqual({ ok: true, count: 3 });
    });
  }
});

describe('500 ms of database latency', () => {
  let rig: Rig;
  beforeAll(async () => {
    // The default bound (5 s): a 500 ms answer is slow, not dead.
    rig = await gatewayBehindProxy('latency', 5_000);
  });
  afterAll(async () => rig?.close());

  it('When every database answer takes 500 ms more, then a held wait ends within its timeout + 1 s and a decision still succeeds and releases a wait', async () => {
    const created = await call(rig.gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: rig.keys.flowKey,
      body: uniqueRequest(),
    });
    const id = created.body.approvalId as string;
    rig.proxy.setDelay(500);
    try {
      const started = Date.now();
      const timedOut = await call(rig.gw.url, 'GET', `/api/approvals/${id}?wait=2`, { key: rig.keys.flowKey });
      const elapsed = Date.now() - started;
      expect(timedOut.status).toBe(200);
      expect(timedOut.body.status).toBe('pending');
      expect(elapsed).toBeLessThan(2_000 + 1_000);

      const held = call(rig.gw.url, 'GET', `/api/approvals/${id}?wait=15`, { key: rig.keys.flowKey });
      await new Promise((r) => setTimeout(r, 1_500));
      const decided = await call(rig.gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: rig.keys.agentKey,
        body: { decision: 'reject', note: 'Too slow to matter', agent },
      });
      // "Succeeds or 503" in the reference; at 500 ms per answer every step fits in the 2 s bound.
      expect(decided.status).toBe(200);
      const answer = await held;
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('rejected');
    } finally {
      rig.proxy.setDelay(0);
    }
  });
});

describe('The database refuses connections when the gateway starts', () => {
  it('When the database is down at start, then the process stays alive, readiness is 503 and nothing is accepted; when it comes up, the gateway gets ready by itself', async () => {
    const base = databaseUri();
    const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port) });
    const dbName = uniqueDbName('refused');
    const direct = await connectDatabase(inject('mongodbUri'), dbName);
    const keys = await accountsService(direct).createAccount('refused');
    await proxy.setMode('refuse');
    const gateway = await spawnGatewayProcess({
      MONGODB_URI: `mongodb://127.0.0.1:${proxy.port}/${dbName}?directConnection=true`,
      CHEQPOINT_DB_TIMEOUT_MS: '1000',
    });
    try {
      await until(async () => (await fetch(`${gateway.url}/healthz`).catch(() => null))?.status === 200, 'liveness');
      const ready = await call(gateway.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      const refused = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest(),
      });
      expect(isProblem503(refused), refused.text).toBe(true);
      // It keeps trying (and logging it) rather than exiting.
      await until(() => /database unreachable; retrying/.test(gateway.output()), 'a logged retry');
      expect(gateway.child.exitCode).toBeNull();
      expect(await approvalModels(direct).Approval.countDocuments({})).toBe(0);

      await proxy.setMode('pass');
      await waitForReady(gateway, 30_000);
      const accepted = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest(),
      });
      expect(accepted.status).toBe(202);
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
    } finally {
      await gateway.kill();
      await direct.dropDatabase().catch(() => {});
      await direct.close();
      await proxy.close();
    }
  });
});

describe('SIGTERM with 200 held waits (the real entry point)', () => {
  it('When SIGTERM arrives with 200 calls held, then every one is answered with the current state and the process exits 0', async () => {
    const dbName = uniqueDbName('sigterm200');
    const conn = await connectDatabase(inject('mongodbUri'), dbName);
    const keys = await accountsService(conn).createAccount('sigterm-200');
    const gateway = await spawnGatewayProcess({
      MONGODB_URI: `${inject('mongodbUri')}${dbName}`,
      // 200 calls at once from one key: over the default burst.
      CHEQPOINT_RATE_LIMIT_PER_SECOND: '0',
    });
    try {
      await waitForReady(gateway);
      const waits = Array.from({ length: 200 }, () =>
        call(gateway.url, 'POST', '/api/webhooks/inbound?wait=25', { key: keys.flowKey, body: uniqueRequest() }),
      );
      const { Approval } = approvalModels(conn);
      await until(async () => (await Approval.countDocuments({})) === 200, 'all 200 calls to be held', 30_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}\n${gateway.output()}`);
        },
      );
      await new Promise((r) => setTimeout(r, 500));
      gateway.child.kill('SIGTERM');
      const answers = await Promise.all(waits);
      for (const res of answers) {
        expect(res.status).toBe(202);
        expect(res.body.status).toBe('pending');
      }
      expect(new Set(answers.map((r) => r.body.approvalId)).size).toBe(200);
      expect(await gateway.exited).toBe(0);
      await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
    } finally {
      await gateway.kill();
      await conn.dropDatabase().catch(() => {});
      await conn.close();
    }
  });
});

/** Opens a raw connection, sends `head`, then one more byte every `everyMs`; reports how it ended. */
function dribble(port: number, head: string, trickle: string, everyMs: number, maxMs: number) {
  return new Promise<{ closedAfterMs: number; response: string }>((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let i = 0;
    const timer = setInterval(() => {
      if (socket.writable) socket.write(trickle[i++ % trickle.length] as string);
    }, everyMs);
    const guard = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`still open after ${maxMs} ms`));
    }, maxMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (c: Buffer) => (response += c.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ closedAfterMs: Date.now() - started, response });
    });
  });
}

describe('Slow clients', () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  beforeAll(async () => {
    gw = await startTestGateway({
      label: 'slow_clients',
      config: { CHEQPOINT_HEADERS_TIMEOUT_MS: 1_000, CHEQPOINT_REQUEST_TIMEOUT_MS: 2_000 },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => gw?.close());

  const port = () => Number(new URL(gw.url).port);

  it('When a client sends its headers one byte at a time, then it gets 408 and is disconnected at the headers timeout', async () => {
    const result = await dribble(
      port(),
      'POST /api/webhooks/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
      'abcdefgh',
      100,
      10_000,
    );
    expect(result.response).toMatch(/^HTTP\/1\.1 408/);
    expect(result.closedAfterMs).toBeLessThan(1_000 + 2_000);
  });

  it('When a client sends its body one byte at a time, then it is disconnected at the request timeout', async () => {
    const head =
      'POST /api/webhooks/inbound?wait=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      `x-api-key: ${keys.flowKey}\r\ncontent-type: application/json\r\ncontent-length: 10000\r\n\r\n{"action":"`;
    const result = await dribble(port(), head, 'aaaaaaaa', 100, 10_000);
    expect(result.response).not.toMatch(/^HTTP\/1\.1 2/);
    expect(result.closedAfterMs).toBeLessThan(2_000 + 2_000);
  });

  it('When a call holds a wait longer than the request timeout, then it is not cut: the wait is the response, not the request', async () => {
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest(),
    });
    const held = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}?wait=3`, { key: keys.flowKey });
    expect(held.status).toBe(200);
    expect(held.body.status).toBe('pending');
  });
});

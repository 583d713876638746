import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { CONNECTION_OPTIONS } from '../../server/src/db/connection.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

type Command = { name: string; collection: string; text: string };

/** A connection to the test database whose commands are recorded (the driver's command monitoring). */
async function monitoredConnection(uri: string, dbName: string, commands: Command[]): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { ...CONNECTION_OPTIONS, dbName, monitorCommands: true });
  await conn.asPromise();
  conn.getClient().on('commandStarted', (event) => {
    const cmd = event.command as Record<string, unknown>;
    commands.push({ name: event.commandName, collection: String(cmd[event.commandName]), text: JSON.stringify(cmd) });
  });
  return conn;
}

/** Reads of decision records that name one of `ids`. */
const decisionReadsNaming = (commands: Command[], ids: string[]) =>
  commands.filter((c) => c.name === 'find' && c.collection === 'decisions' && ids.some((id) => c.text.includes(id)));

/**
 * Held status waits (`GET /api/approvals/{id}?wait=`) on gateway B for approvals decided (half of them)
 * through gateway A: two gateways on one real database, B's database commands counted through the
 * driver's command monitoring.
 */
describe('Held waits that time out together', () => {
  let a: TestGateway;
  let keys: CreatedAccount;

  const submit = async (n: number) => {
    const res = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: `held-${n}`, n: Math.random() } }),
    });
    expect(res.status).toBe(202);
    return res.body.approvalId as string;
  };

  /** Holds `?wait=<seconds>` on `gw` for each id; once all are held, decides `decided` through A. */
  async function holdAndDecide(gw: TestGateway, ids: string[], decided: string[], seconds: number) {
    const answers = ids.map((id) => call(gw.url, 'GET', `/api/approvals/${id}?wait=${seconds}`, { key: keys.flowKey }));
    await until(() => gw.waiter.count === ids.length, 'every call held');
    const decisions = await Promise.all(
      decided.map((id) =>
        call(a.url, 'POST', `/api/agent/approvals/${id}/decision`, {
          key: keys.agentKey,
          body: { decision: 'approve', agent },
        }),
      ),
    );
    for (const res of decisions) expect(res.status).toBe(200);
    return Promise.all(answers);
  }

  beforeAll(async () => {
    a = await startTestGateway({ label: 'held_waits', config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    keys = await a.createAccount();
  });
  afterAll(async () => {
    await a?.close();
  });

  it('When the change feed is current, then the waits that time out answer pending without reading their decision, and the ones decided on the other process answer decided', async () => {
    const commands: Command[] = [];
    const conn = await monitoredConnection(inject('mongodbUri'), a.conn.name, commands);
    const b = await startTestGateway({ conn, config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => submit(n)));
      const decided = ids.filter((_, i) => i % 2 === 0);
      const undecided = ids.filter((_, i) => i % 2 === 1);
      commands.length = 0;
      const answers = await holdAndDecide(b, ids, decided, 2);
      for (const [i, res] of answers.entries()) {
        expect(res.status).toBe(200);
        expect(res.body.status, ids[i]).toBe(i % 2 === 0 ? 'approved' : 'pending');
      }
      // Each undecided wait read its decision record once, when it began (none yet); at its deadline, nothing.
      expect(decisionReadsNaming(commands, undecided)).toHaveLength(undecided.length);
    } finally {
      await b.stop();
      await conn.close();
    }
  });

  it('When the intake and status calls answer, then they carry JSON headers, the Location and the applied preference as before, and HEAD carries no body', async () => {
    const intake = await call(a.url, 'POST', '/api/webhooks/inbound', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: 'held-headers' } }),
      headers: { prefer: 'wait=1' },
    });
    expect(intake.status).toBe(202);
    expect(intake.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(intake.headers.get('content-length')).toBe(String(Buffer.byteLength(intake.text)));
    expect(intake.headers.get('preference-applied')).toBe('wait=1');
    const id = intake.body.approvalId as string;
    expect(intake.headers.get('location')).toBe(`/api/approvals/${id}`);
    expect(intake.headers.get('x-request-id')).toBeTruthy();

    const held = await call(a.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey, headers: { prefer: 'wait=1' } });
    expect(held.status).toBe(200);
    expect(held.body.status).toBe('pending');
    expect(held.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(held.headers.get('content-length')).toBe(String(Buffer.byteLength(held.text)));
    expect(held.headers.get('preference-applied')).toBe('wait=1');
    expect(held.headers.get('cache-control')).toBe('no-store');

    const head = await call(a.url, 'HEAD', `/api/approvals/${id}`, { key: keys.flowKey });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(head.text).toBe('');
  });

  it('When the change feed is behind, then the waits that time out read their decisions in one batch, and a decision made on the other process is answered decided', async () => {
    const base = new URL(inject('mongodbUri'));
    const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port) });
    const commands: Command[] = [];
    const conn = await monitoredConnection(
      `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
      a.conn.name,
      commands,
    );
    const b = await startTestGateway({ conn, config: { CHEQPOINT_WATCH_INTERVAL_MS: 250 } });
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => 100 + n).map((n) => submit(n)));
      const decided = ids.filter((_, i) => i % 2 === 0);
      const undecided = ids.filter((_, i) => i % 2 === 1);
      const answers = ids.map((id) => call(b.url, 'GET', `/api/approvals/${id}?wait=3`, { key: keys.flowKey }));
      await until(() => b.waiter.count === ids.length, 'every call held');
      // From here every answer of the database to B takes 1.2 s: B's feed reads lag behind.
      proxy.setDelay(1_200);
      const heldAt = commands.length;
      const decisions = await Promise.all(
        decided.map((id) =>
          call(a.url, 'POST', `/api/agent/approvals/${id}/decision`, {
            key: keys.agentKey,
            body: { decision: 'approve', agent },
          }),
        ),
      );
      for (const res of decisions) expect(res.status).toBe(200);
      const results = await Promise.all(answers);
      for (const [i, res] of results.entries()) {
        expect(res.status).toBe(200);
        expect(res.body.status, ids[i]).toBe(i % 2 === 0 ? 'approved' : 'pending');
      }
      // One read (or two, when the deadlines straddle a read in flight) for all ten, not one each.
      const reads = decisionReadsNaming(commands.slice(heldAt), undecided);
      expect(reads.length).toBeGreaterThanOrEqual(1);
      expect(reads.length).toBeLessThanOrEqual(2);
    } finally {
      proxy.setDelay(0);
      await b.stop();
      await conn.close();
      await proxy.close();
    }
  });
});

import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import {
  ensureFerretdbBinary,
  freePort,
  startFerretdb,
  type EmbeddedDatabase,
} from '../../server/src/db/embedded-ferretdb.js';
import type { Clock } from '../../server/src/lib/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call } from '../support/http.js';

/**
 * A data folder written by Cheqpoint 0.1.0 (test/fixtures/data-0.1.0: `npm start` on the embedded
 * FerretDB, six approvals over two tickets and one without, two decided, one with a callback still being
 * retried, one made with an Idempotency-Key) is opened by this version in place.
 */
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'data-0.1.0');
const made = JSON.parse(readFileSync(path.join(FIXTURE, 'approvals.json'), 'utf8')) as {
  accountId: string;
  ticket101: { pending: string[]; decided: string[] };
  ticket202: { pending: string[]; decided: string[] };
  noTicketPending: string;
  idempotencyKey: string;
  withPendingCallback: string;
};
const ALL = [
  ...made.ticket101.pending,
  ...made.ticket101.decided,
  ...made.ticket202.pending,
  ...made.ticket202.decided,
  made.noTicketPending,
];
const COLLECTIONS = ['accounts', 'api_keys', 'approvals', 'decisions', 'idempotency_records', 'audit_events'];

describe('Upgrade in place: a data folder of Cheqpoint 0.1.0', () => {
  let dataDir: string;
  let db: EmbeddedDatabase;
  let conn: Connection;
  let gw: TestGateway;
  let clock: Clock;
  let flowKey: string;
  let agentKey: string;
  const before: Record<string, unknown[]> = {};

  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(
        COLLECTIONS.map(
          async (name) => [name, await conn.collection(name).find({}).sort({ _id: 1 }).toArray()] as const,
        ),
      ),
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-upgrade-'));
    cpSync(path.join(FIXTURE, 'ferretdb'), dataDir, { recursive: true });
    const bin = await ensureFerretdbBinary(path.join(REPO_ROOT, '.tools'));
    db = await startFerretdb({ bin, port: await freePort(), dataDir });
    conn = await connectDatabase(db.uri, 'cheqpoint');
    Object.assign(before, await snapshot());
    // The fixture's approvals expire a day after they were made: run the gateway a minute after that.
    const first = (before['approvals'] as { createdAt: Date }[]).map((a) => a.createdAt.getTime());
    const at = Math.max(...first) + 60_000;
    const offset = at - Date.now();
    clock = { now: () => new Date(Date.now() + offset) };
    gw = await startTestGateway({ conn, clock, allowlist: ['127.0.0.1:3556'] });
    const accounts = accountsService(conn);
    flowKey = (await accounts.createKey(made.accountId, 'flow'))!.key;
    agentKey = (await accounts.createKey(made.accountId, 'agent'))!.key;
  });
  afterAll(async () => {
    await gw?.stop();
    await conn?.close();
    await db?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('When this version starts on it, then every stored document is still there, unchanged', async () => {
    const after = await snapshot();
    for (const name of ['accounts', 'approvals', 'idempotency_records'])
      expect(after[name], name).toEqual(before[name]);
    // Added since: two keys (by this test), callback attempts of the retried delivery (its state and events).
    expect(after['api_keys']).toEqual(expect.arrayContaining(before['api_keys'] as object[]));
    expect(after['audit_events']).toEqual(expect.arrayContaining(before['audit_events'] as object[]));
    const withoutDelivery = (docs: unknown[]) => docs.map((d) => ({ ...(d as object), delivery: undefined }));
    expect(withoutDelivery(after['decisions'] as unknown[])).toEqual(withoutDelivery(before['decisions'] as unknown[]));
  });

  it('When each approval is read, then it answers as before, and its audit chain verifies', async () => {
    for (const id of ALL) {
      const res = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: flowKey });
      expect(res.status, id).toBe(200);
      const isDecided = [...made.ticket101.decided, ...made.ticket202.decided].includes(id);
      expect(res.body.status, id).toBe(
        isDecided ? (id === made.ticket101.decided[0] ? 'approved' : 'rejected') : 'pending',
      );
      const events = await call(gw.url, 'GET', `/api/approvals/${id}/events`, { key: flowKey });
      expect(events.body.chain, id).toMatchObject({ ok: true });
    }
  });

  it('When the sidebar and the queue ask, then they find the old approvals by key', async () => {
    const ticket = async (ticketId: string) =>
      (await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${ticketId}`, { key: agentKey })).body.approvals.map(
        (a: { approvalId: string; status: string }) => [a.approvalId, a.status],
      );
    expect(await ticket('101')).toEqual([
      [made.ticket101.pending[0], 'pending'],
      [made.ticket101.pending[1], 'pending'],
      [made.ticket101.decided[0], 'approved'],
    ]);
    expect(await ticket('202')).toEqual([
      [made.ticket202.pending[0], 'pending'],
      [made.ticket202.decided[0], 'rejected'],
    ]);
    const queue = await call(gw.url, 'GET', '/api/agent/approvals?status=pending', { key: agentKey });
    expect(queue.body.approvals.map((a: { approvalId: string }) => a.approvalId).sort()).toEqual(
      [...made.ticket101.pending, ...made.ticket202.pending, made.noTicketPending].sort(),
    );
    const approved = await call(gw.url, 'GET', '/api/agent/approvals?status=approved', { key: agentKey });
    expect(approved.body.approvals.map((a: { approvalId: string }) => a.approvalId)).toEqual(made.ticket101.decided);
  });

  it('When the old Idempotency-Key is sent again with its body, then it returns the same approval', async () => {
    const body = {
      action: 'change_email',
      summary: 'Change email',
      details: { ticket_id: '202', email: 'a@example.com' },
      callbackUrl: 'http://127.0.0.1:3556/hook',
    };
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: flowKey,
      body,
      headers: { 'idempotency-key': made.idempotencyKey },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ approvalId: made.withPendingCallback, status: 'rejected' });
  });

  it('When upgraded, the unfinished callback is in the outbox and a new approval on an old ticket takes the next slot', async () => {
    expect(await conn.collection('callback_outbox').findOne({ _id: made.withPendingCallback as never })).not.toBeNull();
    const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: flowKey,
      body: { action: 'refund', summary: 'After the upgrade', details: { ticket_id: '101', amount: 3 } },
    });
    expect(created.status).toBe(202);
    const list = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=101', { key: agentKey });
    expect(list.body.approvals.map((a: { approvalId: string }) => a.approvalId)).toEqual([
      ...made.ticket101.pending,
      created.body.approvalId,
      ...made.ticket101.decided,
    ]);
    expect(await conn.collection('ticket_slots').findOne({ _id: `${made.accountId}:101:4` as never })).toMatchObject({
      approvalId: created.body.approvalId,
    });
  });

  it('When a second gateway starts on the upgraded data, then it upgrades nothing again', async () => {
    const counts = async () =>
      Promise.all(
        ['ticket_slots', 'pending_approvals', 'callback_outbox', 'changes'].map((c) =>
          conn.collection(c).countDocuments({}),
        ),
      );
    const was = await counts();
    const second = await startTestGateway({ conn, clock, allowlist: ['127.0.0.1:3556'] });
    try {
      expect(await counts()).toEqual(was);
    } finally {
      await second.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { createLogger } from '../../server/src/lib/logger.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';

let gw: TestGateway;
let a: Awaited<ReturnType<TestGateway['createAccount']>>;
let b: Awaited<ReturnType<TestGateway['createAccount']>>;
const logLines: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ label: 'auth', logger: createLogger('debug', (line) => logLines.push(line)) });
  a = await gw.createAccount('tenant-a');
  b = await gw.createAccount('tenant-b');
});
afterAll(async () => gw?.close());

const create = (key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key, body: uniqueRequest(extra), headers });

describe('Keys and tenancy', () => {
  it('When the key is missing, empty, malformed, unknown or revoked, then 401 problem+json', async () => {
    const forged = a.flowKey.slice(0, -1) + (a.flowKey.endsWith('A') ? 'B' : 'A');
    const unknown = (await accountsService(gw.conn).createKey(a.accountId, 'flow'))!;
    await accountsService(gw.conn).revokeKey(unknown.keyId);
    for (const key of [undefined, '', 'nope', forged, unknown.key, `${a.flowKey} `.repeat(2)]) {
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound', {
        ...(key === undefined ? {} : { key }),
        body: uniqueRequest(),
      });
      expect(res.status, String(key)).toBe(401);
      expect(res.body.type).toBe('urn:cheqpoint:problem:unauthorized');
    }
  });

  it('When a malformed key is presented, then no database query runs', async () => {
    const queries: string[] = [];
    gw.conn.set('debug', (collection: string, method: string) => queries.push(`${collection}.${method}`));
    try {
      const res = await call(gw.url, 'GET', '/api/approvals/apr_00000000000000000000000000000000', {
        key: 'cqp_flow_tooShort',
      });
      expect(res.status).toBe(401);
      expect(queries).toEqual([]);
      // Control: the same request with a well-formed key does query, so the hook is live.
      await call(gw.url, 'GET', '/api/approvals/apr_00000000000000000000000000000000', { key: a.flowKey });
      expect(queries.length).toBeGreaterThan(0);
    } finally {
      gw.conn.set('debug', false);
    }
  });

  it('When a flow key calls an agent endpoint, then 403: an AI agent cannot decide or list', async () => {
    const created = await create(a.flowKey);
    const decide = await call(gw.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
      key: a.flowKey,
      body: { decision: 'approve', agent },
    });
    expect(decide.status).toBe(403);
    expect(decide.body.type).toBe('urn:cheqpoint:problem:forbidden');
    expect((await call(gw.url, 'GET', '/api/agent/approvals?ticketId=100', { key: a.flowKey })).status).toBe(403);
    const still = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: a.agentKey });
    expect(still.body.status).toBe('pending');
  });

  it("When tenant B uses its keys on tenant A's approval, then 404 exactly like an unknown id", async () => {
    const created = await create(a.flowKey, { details: { ticket_id: 'T-A', x: 1 } });
    const id = created.body.approvalId;
    const unknownId = 'apr_' + '0'.repeat(32);
    const reads = [
      await call(gw.url, 'GET', `/api/approvals/${id}`, { key: b.flowKey }),
      await call(gw.url, 'GET', `/api/approvals/${id}?wait=1`, { key: b.agentKey }),
      await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: b.agentKey,
        body: { decision: 'approve', agent },
      }),
    ];
    const unknown = await call(gw.url, 'GET', `/api/approvals/${unknownId}`, { key: b.flowKey });
    for (const res of reads) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unknown.body);
    }
    const list = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=T-A', { key: b.agentKey });
    expect(list.body.approvals).toEqual([]);
    const own = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: a.flowKey });
    expect(own.body.status).toBe('pending');
  });

  it('When a tenantId is smuggled in the body or query, then it is refused and the key decides the account', async () => {
    const body = await create(a.flowKey, { tenantId: b.accountId });
    expect(body.status).toBe(400);
    const query = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=100&tenantId=${b.accountId}`, {
      key: a.agentKey,
    });
    expect(query.status).toBe(400);
  });

  it('When a second key is created and the first revoked, then both work during rotation and the revoked one fails next', async () => {
    const accounts = accountsService(gw.conn);
    const second = (await accounts.createKey(a.accountId, 'flow'))!;
    const third = (await accounts.createKey(a.accountId, 'flow'))!;
    expect((await create(second.key)).status).toBe(202);
    expect((await create(third.key)).status).toBe(202);
    await accounts.revokeKey(second.keyId);
    expect((await create(second.key)).status).toBe(401);
    expect((await create(third.key)).status).toBe(202);
  });

  it('When the same Idempotency-Key is used by two tenants, then each gets its own approval', async () => {
    const headers = { 'idempotency-key': 'shared-key-1' };
    const details = { ticket_id: 'same', n: 1 };
    const ra = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: a.flowKey,
      body: { action: 'refund', summary: 's', details },
      headers,
    });
    const rb = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: b.flowKey,
      body: { action: 'refund', summary: 's', details },
      headers,
    });
    expect(ra.status).toBe(202);
    expect(rb.status).toBe(202);
    expect(ra.body.approvalId).not.toBe(rb.body.approvalId);
  });

  it('When keys have been used, then neither the database nor the logs hold them in plain text', async () => {
    const dump: string[] = [];
    for (const { name } of await gw.conn.db!.listCollections().toArray()) {
      dump.push(JSON.stringify(await gw.conn.collection(name).find({}).toArray()));
    }
    const everything = dump.join('\n') + logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const key of [a.flowKey, a.agentKey, b.flowKey, b.agentKey]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(10, 40));
    }
  });
});

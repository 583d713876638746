import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '@cheqpoint/shared';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { call } from '../support/http.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';

const APPROVALS = 20;

const parsed = parsePolicy({
  rules: [
    {
      name: 'slow-refunds',
      action: 'refund',
      outcome: 'require_human',
      escalation: { afterSeconds: 1, priority: 'high', notifyGroup: 'Team leads' },
    },
  ],
});
if (!parsed.success) throw new Error('policy does not parse');
const POLICY = parsed.data;

/** Zendesk's API as far as escalations use it: every request is counted. */
async function startZendesk() {
  const requests: { method: string; path: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let zd: Awaited<ReturnType<typeof startZendesk>>;
let procs: TwoGatewayProcesses;

beforeAll(async () => {
  zd = await startZendesk();
  procs = await startTwoGatewayProcesses(
    'escalation_procs',
    { CHEQPOINT_EXPIRY_SWEEP_MS: '100', CHEQPOINT_DISPATCH_INTERVAL_MS: '50' },
    async (conn, account) => {
      await policiesRepository(conn).setPolicy(account.accountId, POLICY);
      await zendeskConnections(conn).connect(account.accountId, {
        subdomain: 'acme',
        url: zd.url,
        appId: 1,
        auth: { kind: 'api-token', email: 'cheqpoint@acme.test', token: 'zd-token' },
      });
    },
  );
}, 120_000);
afterAll(async () => {
  await procs?.close();
  await zd?.close();
});

describe('Escalation with several gateway processes', () => {
  it(`When ${APPROVALS} approvals escalate while two processes sweep every 100 ms, then each escalates exactly once: one audit event, one priority change and one note per ticket`, async () => {
    const { a, b, keys } = procs;
    const ids = await Promise.all(
      Array.from({ length: APPROVALS }, async (_, i) => {
        const res = await call(i % 2 ? a.url : b.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: keys.flowKey,
          body: { action: 'refund', summary: `Refund ${i}`, details: { ticket_id: String(8100 + i), amount: 10 + i } },
        });
        expect(res.status).toBe(202);
        return res.body.approvalId as string;
      }),
    );
    const escalationsOf = async (id: string) => {
      const res = await call(a.url, 'GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
      return (res.body.events as { type: string }[]).filter((e) => e.type === 'escalated').length;
    };
    // every approval escalated (by one process or the other)…
    for (let i = 0; i < 200; i++) {
      const counts = await Promise.all(ids.map(escalationsOf));
      if (counts.every((n) => n >= 1)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // …and after many more sweeps of both, still once each
    await new Promise((r) => setTimeout(r, 1500));
    expect(await Promise.all(ids.map(escalationsOf))).toEqual(ids.map(() => 1));
    for (let i = 0; i < APPROVALS; i++) {
      const ticket = `/api/v2/tickets/${8100 + i}.json`;
      const updates = zd.requests.filter((r) => r.method === 'PUT' && r.path === ticket);
      expect(updates.filter((r) => r.body.includes('"priority":"high"'))).toHaveLength(1);
      expect(updates.filter((r) => r.body.includes('Team leads: please decide it'))).toHaveLength(1);
    }
  }, 120_000);
});

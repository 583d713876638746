import { trusted, type Connection } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountModels } from '../../server/src/accounts/account.model.js';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until, type GatewayProcess } from '../support/process.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

/**
 * Two real gateway processes (`node --import tsx server/src/main.ts`) on one database,
 * with their default limits. A wait held on one is answered by a decision made through the other
 * (released by the shared watch query of the holder), and every callback arrives exactly once with
 * both dispatchers and both expiry sweepers running.
 */
describe('Two gateway processes on one database', () => {
  let procs: TwoGatewayProcesses | undefined;
  let conn: Connection;
  let keys: CreatedAccount;
  let receiver: Receiver;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    receiver = await startReceiver();
    procs = await startTwoGatewayProcesses('two_procs', {
      CHEQPOINT_CALLBACK_ALLOWLIST: `127.0.0.1:${receiver.port}`,
      CHEQPOINT_DISPATCH_INTERVAL_MS: '50',
      CHEQPOINT_EXPIRY_SWEEP_MS: '200',
      CHEQPOINT_CALLBACK_TIMEOUT_MS: '2000',
      CHEQPOINT_CALLBACK_LEASE_MS: '10000',
    });
    ({ conn, keys, a, b } = procs);
  });
  afterAll(async () => {
    await procs?.close();
    await receiver?.close();
  });

  it('When waits are held on one process and the decisions are made through the other, then every wait answers with its decision', async () => {
    // Ten intake calls held on A (?wait=20), decided through B.
    const heldOnA = Array.from({ length: 10 }, (_, i) =>
      call(a.url, 'POST', '/api/webhooks/inbound?wait=20', {
        key: keys.flowKey,
        body: uniqueRequest({ details: { ticket_id: 'mp-1', n: i } }),
      }),
    );
    const { Approval } = approvalModels(conn);
    const idsOnA = await until(async () => {
      const docs = await Approval.find({ ticketId: 'mp-1' }, { _id: 1 }).lean();
      return docs.length === 10 ? docs.map((d) => d._id) : null;
    }, 'the ten approvals held on A');

    // Ten status polls held on B (?wait=20) for approvals created on A, decided through A.
    const idsOnB: string[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ details: { ticket_id: 'mp-2', n: i } }),
      });
      expect(created.status).toBe(202);
      idsOnB.push(created.body.approvalId as string);
    }
    const heldOnB = idsOnB.map((id) => call(b.url, 'GET', `/api/approvals/${id}?wait=20`, { key: keys.flowKey }));
    await new Promise((r) => setTimeout(r, 300)); // let B's calls reach their wait

    const decide = (url: string, id: string, i: number) =>
      call(url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: i % 2 === 0 ? { decision: 'approve', agent } : { decision: 'reject', note: 'Not eligible', agent },
      });
    const decisions = await Promise.all([
      ...idsOnA.map((id, i) => decide(b.url, id, i)),
      ...idsOnB.map((id, i) => decide(a.url, id, i)),
    ]);
    for (const res of decisions) expect(res.status).toBe(200);

    const answersFromA = await Promise.all(heldOnA);
    const expected = (id: string, list: string[]) => (list.indexOf(id) % 2 === 0 ? 'approved' : 'rejected');
    for (const res of answersFromA) {
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(expected(res.body.approvalId as string, idsOnA));
      expect(res.body.decidedBy).toMatchObject({ type: 'agent', id: agent.id });
    }
    const answersFromB = await Promise.all(heldOnB);
    for (const [i, res] of answersFromB.entries()) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ approvalId: idsOnB[i], status: expected(idsOnB[i] as string, idsOnB) });
    }
  });

  it('When callbacks are decided on both processes, by people and by expiry, then each webhook-id arrives exactly once, signed', async () => {
    receiver.requests.length = 0;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await call([a, b][i % 2]!.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url(`/two/${i}`) }),
      });
      expect(created.status).toBe(202);
      ids.push(created.body.approvalId as string);
    }
    const decided = await Promise.all(
      ids.map((id, i) =>
        call([a, b][i % 2]!.url, 'POST', `/api/agent/approvals/${id}/decision`, {
          key: keys.agentKey,
          body: { decision: 'approve', agent },
        }),
      ),
    );
    for (const res of decided) expect(res.status).toBe(200);

    // A second account whose approvals expire after one second: both sweepers race to expire them.
    const shortLived = await accountsService(conn).createAccount('short-lived');
    await accountModels(conn).Account.updateOne({ _id: shortLived.accountId }, { $set: { approvalTtlSeconds: 1 } });
    const expiring: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await call([a, b][i % 2]!.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: shortLived.flowKey,
        body: uniqueRequest({ callbackUrl: receiver.url(`/expiry/${i}`) }),
      });
      expiring.push(created.body.approvalId as string);
    }

    const { Decision } = approvalModels(conn);
    const all = [...ids, ...expiring];
    await until(
      async () =>
        (await Decision.countDocuments({ _id: trusted({ $in: all }), 'delivery.state': 'delivered' })) === all.length,
      'every callback delivered',
      30_000,
    );
    // Settle: nothing more arrives afterwards.
    await new Promise((r) => setTimeout(r, 500));
    const webhookIds = receiver.requests.map((r) => String(r.headers['webhook-id']));
    expect(webhookIds.sort()).toEqual(all.map((id) => `msg_${id}`).sort());

    for (const req of receiver.requests) {
      const secret = req.path.startsWith('/expiry/') ? shortLived.signingSecret : keys.signingSecret;
      const event = new Webhook(secret).verify(req.body, req.headers as Record<string, string>) as {
        decidedBy: { type: string };
      };
      expect(event.decidedBy.type).toBe(req.path.startsWith('/expiry/') ? 'expiry' : 'agent');
    }
    const decisions = await Decision.find({ _id: trusted({ $in: expiring }) }).lean();
    expect(decisions).toHaveLength(expiring.length);
    for (const decision of decisions) expect(decision.delivery).toMatchObject({ state: 'delivered', attempts: 1 });
  });
});

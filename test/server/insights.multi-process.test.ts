import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import type { GatewayProcess } from '../support/process.js';
import { until } from '../support/process.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';
import { call, uniqueRequest } from '../support/http.js';

let procs: TwoGatewayProcesses;
let keys: CreatedAccount;
let conn: Connection;
let a: GatewayProcess;
let b: GatewayProcess;

beforeAll(async () => {
  procs = await startTwoGatewayProcesses('insights_procs', {});
  ({ conn, keys, a, b } = procs);
});
afterAll(async () => procs?.close());

const agents = [
  { id: 'zd_1', name: 'Ada' },
  { id: 'zd_2', name: 'Grace' },
];

describe('Insights with two gateway processes', () => {
  it('When both processes take requests and decide the same approvals at once, then every request and every winning decision is counted once, on either process', async () => {
    // 40 requests, half through each process.
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(i % 2 ? a.url : b.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: keys.flowKey,
          body: uniqueRequest({ action: i < 30 ? 'refund' : 'cancel' }),
        }),
      ),
    );
    expect(created.every((r) => r.status === 202)).toBe(true);
    // Each approval decided through both processes at once: Ada approves on A, Grace rejects on B.
    const winners = await Promise.all(
      created.map(async (r) => {
        const id = r.body.approvalId as string;
        const [onA, onB] = await Promise.all([
          call(a.url, 'POST', `/api/agent/approvals/${id}/decision`, {
            key: keys.agentKey,
            body: { decision: 'approve', agent: agents[0] },
          }),
          call(b.url, 'POST', `/api/agent/approvals/${id}/decision`, {
            key: keys.agentKey,
            body: { decision: 'reject', note: 'no', agent: agents[1] },
          }),
        ]);
        expect([onA.status, onB.status].sort()).toEqual([200, 409]);
        return { action: r.body.action as string, outcome: onA.status === 200 ? 'approved' : 'rejected' };
      }),
    );
    const expected = (action?: string) => {
      const of = winners.filter((w) => action === undefined || w.action === action);
      return {
        requests: of.length,
        decided: of.length,
        decidedByPeople: of.length,
        approved: of.filter((w) => w.outcome === 'approved').length,
        rejected: of.filter((w) => w.outcome === 'rejected').length,
      };
    };
    const approvedCount = winners.filter((w) => w.outcome === 'approved').length;
    for (const gw of [a, b]) {
      // The other process writes its counts a few milliseconds after its decisions.
      const insights = await until(
        async () => {
          const res = await call(gw.url, 'GET', '/api/agent/insights?days=1', { key: keys.agentKey });
          return res.body.total.decided === 40 && res.body.total.requests === 40 ? res.body : null;
        },
        'both processes’ counts',
        10_000,
      );
      expect(insights.total).toMatchObject({ ...expected(), pending: 0, approvedWithChanges: 0, expired: 0 });
      expect(insights.total.timeToDecision.count).toBe(40);
      for (const action of ['refund', 'cancel']) {
        expect(insights.actions.find((x: { action: string }) => x.action === action)).toMatchObject(expected(action));
      }
      const byAgent = Object.fromEntries(
        insights.agents.map((x: { agentId: string; decisions: number }) => [x.agentId, x.decisions]),
      );
      expect(byAgent).toEqual({
        ...(approvedCount > 0 ? { zd_1: approvedCount } : {}),
        ...(approvedCount < 40 ? { zd_2: 40 - approvedCount } : {}),
      });
    }
    // Each process wrote its own documents of the day, and took one writer slot of it.
    const slots = await conn.collection('insight_writers').countDocuments({});
    expect(slots).toBe(2);
  }, 60_000);
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { collectionSizes } from '../lib/seed.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type DecisionLatencyResult = {
  /** Decision request sent → held call answered. */
  decisionToAnswer: Latency;
  /** Decision response received → held call answered (negative when the held call answered first). */
  afterDecisionResponse: Latency;
  /** Baseline: a plain `GET /api/approvals/{id}` round trip on the server holding the wait. */
  plainGet: Latency;
  /** For context: the decision call's own round trip. */
  decisionCall: Latency;
  failures: string[];
  failureCount: number;
  concurrency: number;
  holdDelayMs: number;
  approvalsStored: number;
  decisionsStored: number;
  watchIntervalMs: number | null;
};

const agent = { id: '42', name: 'Ada Agent', email: 'ada@example.com' };
let n = 0;

/**
 * Decision-to-answer latency: a client holds `GET /api/approvals/{id}?wait=20` on `holder`; once it
 * is held, another client decides through `decider` (the same server, or another gateway process on
 * the same database). Measured from the decision request's start to the held call's answer.
 */
export async function decisionLatencyPhase(
  ctx: BenchContext,
  options: {
    holderUrl: string;
    deciderUrl: string;
    samples: number;
    timeS: number;
    concurrency: number;
    watchIntervalMs: number | null;
  },
): Promise<DecisionLatencyResult> {
  const holdDelayMs = 100;
  const { flowKey, agentKey } = ctx.account;
  const rows = await sampleBounded(
    { count: options.samples, timeMs: options.timeS * 1000, concurrency: options.concurrency },
    async () => {
      const created = await request(`${options.holderUrl}/api/webhooks/inbound?wait=0`, {
        method: 'POST',
        headers: { 'x-api-key': flowKey },
        body: {
          action: 'refund',
          summary: 'Refund order',
          details: { ticket_id: '2000', order: `d-${process.pid}-${n++}`, amount: 25 },
        },
      });
      if (created.status !== 202) throw new Error(`create answered ${created.status}: ${created.text.slice(0, 200)}`);
      const id = created.json<{ approvalId: string }>().approvalId;

      const held = request(`${options.holderUrl}/api/approvals/${id}?wait=20`, {
        headers: { 'x-api-key': flowKey },
        agent: false,
        timeoutMs: 30_000,
      });
      held.catch(() => {}); // awaited below; a failure before then is reported there
      // Let the held call reach its wait (auth, subscribe, first read) before deciding.
      await sleep(holdDelayMs);
      const decisionStart = performance.now();
      const decision = await request(`${options.deciderUrl}/api/agent/approvals/${id}/decision`, {
        method: 'POST',
        headers: { 'x-api-key': agentKey },
        body: { decision: 'approve', note: 'ok', agent },
        timeoutMs: 30_000,
      });
      if (decision.status !== 200) throw new Error(`decision answered ${decision.status}`);
      const answer = await held;
      if (answer.status !== 200 || answer.json<{ status: string }>().status !== 'approved') {
        throw new Error(`held call answered ${answer.status} ${answer.text.slice(0, 120)}`);
      }
      if (answer.endedAt < decisionStart) throw new Error('held call answered before the decision was sent');
      const plain = await request(`${options.holderUrl}/api/approvals/${id}`, { headers: { 'x-api-key': flowKey } });
      if (plain.status !== 200) throw new Error(`plain GET answered ${plain.status}`);
      return {
        decisionToAnswer: answer.endedAt - decisionStart,
        afterDecisionResponse: answer.endedAt - decision.endedAt,
        decisionCall: decision.ms,
        plainGet: plain.ms,
      };
    },
  );
  const sizes = await collectionSizes(ctx.conn);
  const pick = (key: keyof (typeof rows.results)[number]) => summarize(rows.results.map((r) => r[key]));
  return {
    decisionToAnswer: pick('decisionToAnswer'),
    afterDecisionResponse: pick('afterDecisionResponse'),
    plainGet: pick('plainGet'),
    decisionCall: pick('decisionCall'),
    failures: rows.failures.slice(0, 10),
    failureCount: rows.failures.length,
    concurrency: options.concurrency,
    holdDelayMs,
    approvalsStored: sizes.approvals,
    decisionsStored: sizes.decisions,
    watchIntervalMs: options.watchIntervalMs,
  };
}

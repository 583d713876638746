import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext, RunningServer } from '../lib/context.js';
import { request } from '../lib/http.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type DecisionResult = {
  /** Decision request sent → held call's response (last byte). */
  decisionToAnswer: Latency;
  /** Baseline: a plain `GET /api/approvals/{id}` round trip on the holding gateway, right after. */
  plainGet: Latency;
  /** For context: the decision call's own round trip. */
  decisionCall: Latency;
  failures: number;
  failureSamples: string[];
  concurrency: number;
};

export const DECISION_BODY = { decision: 'approve', agent: { id: '1', name: 'Bench' } } as const;

/**
 * Holds `GET /api/approvals/{id}?wait=20` on `holder` for seeded pending approvals, and after
 * `holdDelayMs` decides each through `decider` (the same gateway, or another process on the database).
 */
export async function decisionPhase(
  ctx: BenchContext,
  holder: RunningServer,
  decider: RunningServer,
  ids: string[],
  concurrency: number,
): Promise<DecisionResult> {
  const { flowKey, agentKey } = ctx.account;
  const run = await sampleBounded({ count: ids.length, timeMs: 90_000, concurrency }, async (i) => {
    const id = ids[i] as string;
    const held = request(`${holder.url}/api/approvals/${id}?wait=20`, {
      headers: { 'x-api-key': flowKey },
      agent: false,
      timeoutMs: 30_000,
    });
    held.catch(() => {}); // awaited below
    await sleep(ctx.settings.holdDelayMs);
    const sentAt = performance.now();
    const decision = await request(`${decider.url}/api/agent/approvals/${id}/decision`, {
      method: 'POST',
      headers: { 'x-api-key': agentKey },
      body: DECISION_BODY,
      timeoutMs: 30_000,
    });
    if (decision.status !== 200)
      throw new Error(`decision answered ${decision.status}: ${decision.text.slice(0, 200)}`);
    const answer = await held;
    if (answer.status !== 200 || answer.json<{ status: string }>().status !== 'approved') {
      throw new Error(`held call answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
    if (answer.endedAt < sentAt) throw new Error('the held call answered before the decision was sent');
    const plain = await request(`${holder.url}/api/approvals/${id}`, { headers: { 'x-api-key': flowKey } });
    if (plain.status !== 200) throw new Error(`plain GET answered ${plain.status}`);
    return { toAnswer: answer.endedAt - sentAt, plain: plain.ms, call: decision.ms };
  });
  return {
    decisionToAnswer: summarize(run.results.map((r) => r.toAnswer)),
    plainGet: summarize(run.results.map((r) => r.plain)),
    decisionCall: summarize(run.results.map((r) => r.call)),
    failures: run.failures.length,
    failureSamples: run.failures.slice(0, 3),
    concurrency,
  };
}

import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';
import { DECISION_BODY } from './decisions.js';

export type CallbackResult = {
  /** Decision request sent → the receiver has the callback POST. */
  firstAttempt: Latency;
  /** Baseline: a bare POST of a callback-sized body from the benchmark process, sent → received. */
  barePost: Latency;
  failures: number;
  failureSamples: string[];
};

let counter = 0;

/**
 * First callback attempt: approvals created on gateway B with `callbackUrl` at the benchmark's receiver,
 * then decided on B (whose dispatcher sends the first attempt at once); timed from sending the decision
 * to the receiver having the POST. B alone is running (A, in production mode, would refuse the loopback
 * address if its poll picked the delivery up first).
 */
export async function callbacksPhase(ctx: BenchContext): Promise<CallbackResult> {
  const gateway = ctx.gatewayB!;
  const { flowKey, agentKey } = ctx.account;
  const run = await sampleBounded({ count: ctx.settings.callbacks, timeMs: 60_000 }, async (i) => {
    const created = await request(`${gateway.url}/api/webhooks/inbound?wait=0`, {
      method: 'POST',
      headers: { 'x-api-key': flowKey },
      body: {
        action: 'refund',
        summary: 'Refund order (callback sample)',
        details: { ticket_id: `cb${i % 20}`, order: `cb-${process.pid}-${counter++}`, amount: 25 },
        callbackUrl: ctx.receiver.url,
      },
    });
    if (created.status !== 202) throw new Error(`intake answered ${created.status}: ${created.text.slice(0, 200)}`);
    const id = created.json<{ approvalId: string }>().approvalId;
    const arrival = ctx.receiver.arrival(`msg_${id}`, 15_000);
    arrival.catch(() => {}); // awaited below
    const sentAt = performance.now();
    const decision = await request(`${gateway.url}/api/agent/approvals/${id}/decision`, {
      method: 'POST',
      headers: { 'x-api-key': agentKey },
      body: DECISION_BODY,
    });
    if (decision.status !== 200) throw new Error(`decision answered ${decision.status}`);
    return (await arrival) - sentAt;
  });
  const body = {
    type: 'approval.decided',
    data: { approvalId: 'apr_0', status: 'approved', details: { order: 'o-1', amount: 25 } },
  };
  const bare = await sampleBounded({ count: ctx.settings.callbacks, timeMs: 20_000 }, async (i) => {
    const id = `bare_${ctx.backend.name}_${ctx.size}_${i}`;
    const arrival = ctx.receiver.arrival(id, 5_000);
    const sentAt = performance.now();
    await request(ctx.receiver.url, { method: 'POST', headers: { 'x-bench-id': id }, body });
    return (await arrival) - sentAt;
  });
  return {
    firstAttempt: summarize(run.results),
    barePost: summarize(bare.results),
    failures: run.failures.length,
    failureSamples: run.failures.slice(0, 3),
  };
}

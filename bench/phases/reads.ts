import type { BenchContext, RunningServer } from '../lib/context.js';
import { request } from '../lib/http.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type ReadResult = {
  latency: Latency;
  /** Requests sent, the untimed warm-up ones included (for CPU per request). */
  sent: number;
  failures: number;
  failureSamples: string[];
  /** Mean number of approvals a list answered with. */
  items?: number;
};

const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)] as T;

/** Sequential GETs of `path()` on `server` (after `warmup` untimed ones); non-200 answers are failures. */
async function sequentialGets(
  server: RunningServer,
  count: number,
  warmup: number,
  path: () => string,
  headers: Record<string, string>,
  countItems = false,
): Promise<ReadResult> {
  const warm = await sampleBounded({ count: warmup, timeMs: 10_000 }, async () => {
    await request(`${server.url}${path()}`, { headers, timeoutMs: 10_000 });
  });
  let items = 0;
  const run = await sampleBounded({ count, timeMs: 45_000 }, async () => {
    const res = await request(`${server.url}${path()}`, { headers, timeoutMs: 30_000 });
    if (res.status !== 200) throw new Error(`answered ${res.status}: ${res.text.slice(0, 200)}`);
    if (countItems) items += res.json<{ approvals: unknown[] }>().approvals.length;
    return res.ms;
  });
  return {
    latency: summarize(run.results),
    sent: warm.results.length + warm.failures.length + run.results.length + run.failures.length,
    failures: run.failures.length,
    failureSamples: run.failures.slice(0, 3),
    ...(countItems ? { items: run.results.length ? Math.round(items / run.results.length) : 0 } : {}),
  };
}

/** `GET /api/approvals/{id}` (flow key, no wait) of seeded approvals (half pending, half decided). */
export function getByIdPhase(ctx: BenchContext): Promise<ReadResult> {
  const ids = ctx.seed.sampleIds;
  return sequentialGets(ctx.gatewayA!, ctx.settings.reads, ctx.settings.warmup, () => `/api/approvals/${pick(ids)}`, {
    'x-api-key': ctx.account.flowKey,
  });
}

/** Baseline: the bare server's findById of the same approvals, same database, same size. */
export function baselineFindPhase(ctx: BenchContext): Promise<ReadResult> {
  const ids = ctx.seed.sampleIds;
  return sequentialGets(ctx.baseline!, ctx.settings.reads, ctx.settings.warmup, () => `/approvals/${pick(ids)}`, {});
}

/** The sidebar: `GET /api/agent/approvals?ticketId=<t>` (agent key) of random seeded tickets. */
export function ticketListPhase(ctx: BenchContext): Promise<ReadResult> {
  const tickets = ctx.seed.tickets;
  return sequentialGets(
    ctx.gatewayA!,
    ctx.settings.ticketLists,
    5,
    () => `/api/agent/approvals?ticketId=t${Math.floor(Math.random() * tickets)}`,
    { 'x-api-key': ctx.account.agentKey },
    true,
  );
}

/** The queue's first page: `GET /api/agent/approvals?status=pending&limit=50` (agent key). */
export function queuePhase(ctx: BenchContext): Promise<ReadResult> {
  return sequentialGets(
    ctx.gatewayA!,
    ctx.settings.queuePages,
    3,
    () => `/api/agent/approvals?status=pending&limit=${ctx.settings.queueLimit}`,
    { 'x-api-key': ctx.account.agentKey },
    true,
  );
}

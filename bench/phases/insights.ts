import { TIME_TO_DECISION_BUCKETS } from '@cheqpoint/shared';
import { approvalModels, type ApprovalDoc, type DecisionDoc } from '../../server/src/approvals/approval.model.js';
import { isDuplicateKey } from '../../server/src/db/errors.js';
import { fillRollups } from '../../server/src/insights/insights.js';
import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { summarize, type Latency } from '../lib/stats.js';

export type InsightsBenchResult = {
  /** The upgrade in place's fill of the rollups from every stored approval and decision. */
  fill: { ms: number; approvals: number; docs: number };
  /** Rollup documents added for a full period: days × writers, each with `actions` actions. */
  synthetic: { days: number; writers: number; actions: number; agents: number; docs: number };
  /**
   * The first `GET /api/agent/insights?days=90` of the gateway (nothing of the period in its memory yet:
   * every day read from the database), in ms.
   */
  firstRead: number;
  /** `GET /api/agent/insights?days=90` (agent key), sequential, interleaved with the plain GET (finished days from memory). */
  insights: Latency;
  /** Baseline in the same run: `GET /api/approvals/{id}` (flow key) of a seeded approval. */
  plainGet: Latency;
  /** `GET /api/agent/insights/suggestions?days=90`: the backtest scans the stored approvals. */
  suggestions: Latency;
  failures: number;
  failureSamples: string[];
};

const DAYS = 90;
const WRITERS = 3;
const ACTIONS = 8;
const AGENTS = 20;
const DAY_MS = 86_400_000;

/** Counters of one action of one synthetic rollup: every field a busy day has (histograms full). */
function busyAction(seed: number) {
  const t = Object.fromEntries(TIME_TO_DECISION_BUCKETS.map((_, i) => [`b${i}`, 1 + ((seed + i) % 7)]));
  const g = Object.fromEntries(
    Array.from({ length: AGENTS }, (_, i) => [`agent_${i}`, { a: 3 + (i % 4), c: i % 2, r: i % 3 }]),
  );
  const amount = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`b${i}`, { a: 4 + i, c: i % 2, r: i % 3 }]));
  return { rq: 200, pa: 40, pr: 10, ua: 100, uc: 15, ur: 20, ex: 5, wt: 60, t, g, n: { amount } };
}

/** Takes writer slots of a day the way a gateway does (first free `<day>:<n>`). */
async function claimSlot(ctx: BenchContext, day: string, writer: string) {
  for (let n = 1; ; n++) {
    try {
      await ctx.conn
        .collection('insight_writers')
        .insertOne({ _id: `${day}:${n}` as never, writer, createdAt: new Date() });
      return;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
}

/**
 * Insights at the largest size (gateway A): first the rollups the upgrade in place would fill from the
 * stored approvals (timed), then a full period on top, 90 days × 3 writers (processes) × 8 actions with
 * every counter, 20 agents and full histograms (what a busy account's 90 days hold), then sequential
 * `GET /api/agent/insights?days=90` interleaved with a plain GET of an approval (the baseline, same
 * run), and a few suggestion calls (their backtest scans the approvals: an admin's rare read).
 */
export async function insightsPhase(ctx: BenchContext): Promise<InsightsBenchResult> {
  const gateway = ctx.gatewayA!;
  const { Approval, Decision } = approvalModels(ctx.conn);
  const fillStarted = performance.now();
  const approvals = await Approval.find({ accountId: ctx.account.accountId }).lean<ApprovalDoc[]>();
  const decisions = new Map(
    (await Decision.find({ accountId: ctx.account.accountId }).lean<DecisionDoc[]>()).map((d) => [d._id, d] as const),
  );
  const filled = await fillRollups(ctx.conn, approvals, decisions);
  const fill = { ms: Math.round(performance.now() - fillStarted), approvals: approvals.length, docs: filled };

  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const docs: object[] = [];
  for (let d = 0; d < DAYS; d++) {
    const day = new Date(today - d * DAY_MS).toISOString().slice(0, 10);
    for (let w = 0; w < WRITERS; w++) {
      const writer = `bench${w}`;
      await claimSlot(ctx, day, writer);
      const a = Object.fromEntries(Array.from({ length: ACTIONS }, (_, i) => [`action_${i}`, busyAction(d + w + i)]));
      const nm = Object.fromEntries(Array.from({ length: AGENTS }, (_, i) => [`agent_${i}`, `Agent ${i}`]));
      docs.push({
        _id: `${ctx.account.accountId}:${day}:${writer}`,
        accountId: ctx.account.accountId,
        day,
        writer,
        json: JSON.stringify({ a, nm }),
      });
    }
  }
  await ctx.conn.collection('insight_days').insertMany(docs as never[], { ordered: false });

  const agentHeaders = { 'x-api-key': ctx.account.agentKey };
  const flowHeaders = { 'x-api-key': ctx.account.flowKey };
  const ids = ctx.seed.sampleIds;
  const insights: number[] = [];
  const plain: number[] = [];
  const failures: string[] = [];
  const get = async (path: string, headers: Record<string, string>, into: number[] | null) => {
    const res = await request(`${gateway.url}${path}`, { headers, timeoutMs: 60_000 });
    if (res.status !== 200) failures.push(`${path} answered ${res.status}: ${res.text.slice(0, 200)}`);
    else into?.push(res.ms);
  };
  const first: number[] = [];
  await get(`/api/agent/insights?days=${DAYS}`, agentHeaders, first);
  for (let i = 0; i < ctx.settings.warmup; i++) await get(`/api/agent/insights?days=${DAYS}`, agentHeaders, null);
  const deadline = performance.now() + 45_000;
  for (let i = 0; i < ctx.settings.reads && performance.now() < deadline; i++) {
    await get(`/api/agent/insights?days=${DAYS}`, agentHeaders, insights);
    await get(`/api/approvals/${ids[i % ids.length]}`, flowHeaders, plain);
  }
  const suggestions: number[] = [];
  // One call: its backtest scans every stored approval (about 30 s at 100k on SQLite).
  await get(`/api/agent/insights/suggestions?days=${DAYS}`, agentHeaders, suggestions);
  return {
    fill,
    firstRead: first[0] ?? Number.NaN,
    synthetic: { days: DAYS, writers: WRITERS, actions: ACTIONS, agents: AGENTS, docs: docs.length },
    insights: summarize(insights),
    plainGet: summarize(plain),
    suggestions: summarize(suggestions),
    failures: failures.length,
    failureSamples: failures.slice(0, 3),
  };
}

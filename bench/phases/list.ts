import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { approvalModels, type ApprovalDoc } from '../../server/src/approvals/approval.model.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { ensureIndexes } from '../../server/src/indexes.js';
import { startGatewayProcess, type BenchContext, type RunningServer } from '../lib/context.js';
import { cpuSecondsOf } from '../lib/procs.js';
import { request } from '../lib/http.js';
import { approvalDoc, insertBatches } from '../lib/seed.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type ListResult = {
  approvalsInAccount: number;
  tickets: number;
  seedMs: number;
  approvalsStored: number;
  /** `GET /api/agent/approvals?ticketId=` round trips (agent key), random tickets. */
  list: Latency;
  listFailures: number;
  /** Baseline: /healthz round trips on the same server, same client. */
  health: Latency;
  /** The two finds behind the list, timed in this process through the driver (no HTTP, no gateway). */
  bareQuery: Latency;
  /** What `explain` says about the pending-approvals find of a ticket. */
  explain: { indexUsed: string; summary: string; raw: unknown };
  /** `GET /api/approvals/{id}` of a recent approval at this size (a few samples). */
  statusAtSize: Latency;
  listFailureSamples: string[];
  bareQueryFailures: string[];
  /** CPU seconds the list's gateway process used while measured. */
  gatewayCpuS: number;
};

/**
 * What an explain says about index use: the index a MongoDB winning plan names; FerretDB v1 answers with
 * the backend's own plan — SQLite's EXPLAIN QUERY PLAN lines, or PostgreSQL's plan tree — plus its
 * pushdown flags.
 */
export function describeExplain(explain: any): { indexUsed: string; summary: string } {
  const flags = ['filterPushdown', 'sortPushdown', 'limitPushdown']
    .filter((k) => k in (explain ?? {}))
    .map((k) => `${k}: ${String(explain[k])}`);
  const withFlags = (text: string) => `${text}${flags.length ? `; ${flags.join(', ')}` : ''}`;
  const plan = explain?.queryPlanner?.Plan;
  if (Array.isArray(plan)) {
    const details = plan.map((line: string) => /detail=(.*)$/.exec(line)?.[1] ?? line);
    const usesIndex = details.find((d: string) => /USING (COVERING )?INDEX/i.test(d));
    return { indexUsed: usesIndex ?? 'none', summary: withFlags(`SQLite plan: ${details.join('; ') || '(none)'}`) };
  }
  const names = new Set<string>();
  const stages = new Set<string>();
  const walk = (node: any) => {
    if (!node || typeof node !== 'object') return;
    for (const key of ['indexName', 'Index Name']) if (typeof node[key] === 'string') names.add(node[key]);
    for (const key of ['stage', 'Node Type']) if (typeof node[key] === 'string') stages.add(node[key]);
    for (const value of Object.values(node)) walk(value);
  };
  const isPostgres = plan && typeof plan === 'object';
  walk(isPostgres ? plan : (explain?.queryPlanner?.winningPlan ?? explain?.queryPlanner));
  return {
    indexUsed: names.size > 0 ? [...names].join(', ') : 'none',
    summary: withFlags(`${isPostgres ? 'PostgreSQL plan nodes' : 'winning plan stages'}: ${[...stages].join(' → ')}`),
  };
}

/**
 * The agent's ticket view with `listApprovals` approvals in one account, spread over `listTickets`
 * tickets (10 % pending, the rest decided), inserted straight into the database with the stored shape,
 * on its own database with the gateway's indexes, then served by its own gateway process (production
 * mode). Every loop is bounded by count and time; on FerretDB v1 SQLite one call can take many seconds.
 */
export async function listPhase(
  ctx: Pick<BenchContext, 'settings' | 'log' | 'timeLeftMs'>,
  uri: string,
): Promise<ListResult> {
  const { settings } = ctx;
  const conn = await connectDatabase(uri);
  let gateway: RunningServer | null = null;
  try {
    await ensureIndexes(conn);
    const account = await accountsService(conn).createAccount('bench-list');
    const { Approval } = approvalModels(conn);
    const total = settings.listApprovals;
    const tickets = settings.listTickets;
    const start = Date.now() - 30 * 24 * 3600 * 1000;
    ctx.log(`list: seeding ${total} approvals over ${tickets} tickets`);
    /** The last approvals inserted (the end of the table: the worst case for a scan). */
    const recent: string[] = [];
    const seeded = await insertBatches<ApprovalDoc>(
      (docs) => Approval.collection.insertMany(docs as never[], { ordered: false }),
      total,
      (i) => {
        const doc = approvalDoc(account.accountId, {
          ticketId: `t${i % tickets}`,
          status: i % 10 === 0 ? 'pending' : i % 3 === 0 ? 'rejected' : 'approved',
          createdAt: new Date(start + i * 20_000),
          n: i,
        });
        recent.unshift(doc._id);
        recent.length = Math.min(recent.length, 3);
        return doc;
      },
      { batch: 2_000, timeMs: Math.min(90_000, ctx.timeLeftMs() - settings.reserveAfterListS * 1000 - 40_000) },
    );
    ctx.log(`list: seeded ${seeded.inserted} in ${seeded.ms} ms; starting its gateway`);
    // Each call scans the collection on FerretDB v1 SQLite, for longer than the default per-operation database
    // timeout (CHEQPOINT_DB_TIMEOUT_MS, 5 s: the call then answers 503); raised here so the latency is measured.
    gateway = await startGatewayProcess('gateway-list', uri, { CHEQPOINT_DB_TIMEOUT_MS: '120000' });
    const cpuBefore = cpuSecondsOf(gateway.proc.pid);
    const url = gateway.url;

    const ticketAt = () => `t${Math.floor(Math.random() * tickets)}`;
    const pendingFind = (ticketId: string, maxTimeMS = 0) =>
      Approval.collection
        .find({ accountId: account.accountId, ticketId, status: 'pending' }, maxTimeMS ? { maxTimeMS } : {})
        .sort({ createdAt: 1 })
        .limit(200);
    const raw = await pendingFind('t1').explain();
    const explain = { ...describeExplain(raw), raw };
    ctx.log(`list: explain → index ${explain.indexUsed} (${explain.summary})`);

    // No new call after the bound (a call in flight finishes, up to its own timeout); one call always.
    const spareMs = () => ctx.timeLeftMs() - settings.reserveAfterListS * 1000;
    const timeMs = Math.min(settings.listTimeS * 1000, spareMs() - 30_000);
    const listRun = await sampleBounded({ count: 2_000, timeMs, minCount: 1 }, async () => {
      const res = await request(`${url}/api/agent/approvals?ticketId=${ticketAt()}`, {
        headers: { 'x-api-key': account.agentKey },
        timeoutMs: 90_000,
      });
      if (res.status !== 200) throw new Error(`list answered ${res.status}: ${res.text.slice(0, 200)}`);
      return res.ms;
    });
    ctx.log(`list: ${listRun.results.length} list calls in ${listRun.elapsedMs} ms`);
    const healthRun = await sampleBounded({ count: 2_000, timeMs: 3_000 }, async () => {
      const res = await request(`${url}/healthz`);
      return res.ms;
    });
    // Extras, while time is left: the same two finds through the driver (at most as many as list calls,
    // each bounded by maxTimeMS), and reading one of the last approvals inserted (the end of the table).
    const bareLimitMs = 40_000;
    const bareRun = await sampleBounded(
      { count: Math.min(3, listRun.results.length), timeMs: spareMs() - 2 * bareLimitMs },
      async () => {
        const ticketId = ticketAt();
        const t = performance.now();
        await pendingFind(ticketId, bareLimitMs).toArray();
        await Approval.collection
          .find(
            { accountId: account.accountId, ticketId, status: { $in: ['approved', 'rejected'] } },
            { maxTimeMS: bareLimitMs },
          )
          .sort({ createdAt: -1 })
          .limit(20)
          .toArray();
        return performance.now() - t;
      },
    );
    const statusRun = await sampleBounded({ count: 1, timeMs: spareMs() - 40_000 }, async (i) => {
      const res = await request(`${url}/api/approvals/${recent[i] ?? ''}`, {
        headers: { 'x-api-key': account.agentKey },
        timeoutMs: 40_000,
      });
      if (res.status !== 200) throw new Error(`status answered ${res.status}`);
      return res.ms;
    });
    const gatewayCpuS = Math.round((cpuSecondsOf(gateway.proc.pid) - cpuBefore) * 10) / 10;
    return {
      approvalsInAccount: seeded.inserted,
      tickets,
      seedMs: seeded.ms,
      approvalsStored: seeded.inserted,
      list: summarize(listRun.results),
      listFailures: listRun.failures.length,
      listFailureSamples: listRun.failures.slice(0, 3),
      health: summarize(healthRun.results),
      bareQuery: summarize(bareRun.results),
      bareQueryFailures: bareRun.failures.slice(0, 3),
      explain,
      statusAtSize: summarize(statusRun.results),
      gatewayCpuS,
    };
  } finally {
    await gateway?.proc.stop();
    await conn.close();
  }
}

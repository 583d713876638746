import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { cpuSecondsOf, memoryOf, waitQuiet } from '../lib/procs.js';
import { collectionSizes } from '../lib/seed.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type HeldWaitsResult = {
  waits: number;
  /** Distinct approvals the waits are spread over. */
  approvals: number;
  /** Resident memory of the gateway process (MB): at the phase's start, idle after the /healthz probe (the
   * baseline), while all waits are held, and 1 s after release. */
  rssStartMb: number;
  rssIdleMb: number;
  rssHeldMb: number;
  rssAfterMb: number;
  peakRssMb: number;
  /** /healthz round trips: the event loop's responsiveness, idle and with the waits held. */
  healthIdle: Latency;
  healthHeld: Latency;
  /** Time for all waits to be set up (gateway and database quiet again). */
  setupMs: number;
  /** Held calls that answered before release (should be 0). */
  answeredEarly: number;
  answeredEarlyStatuses: Record<string, number>;
  approvalsStored: number;
  /** CPU seconds the gateway process used during the phase. */
  gatewayCpuS: number;
};

/** /healthz round trips on one keep-alive connection, bounded by count and time. */
export async function probeHealth(url: string, seconds: number): Promise<Latency> {
  const { results } = await sampleBounded({ count: 5_000, timeMs: seconds * 1000 }, async () => {
    const res = await request(`${url}/healthz`);
    if (res.status !== 200) throw new Error(`healthz ${res.status}`);
    return res.ms;
  });
  return summarize(results);
}

/**
 * `waits` calls held at once (`GET /api/approvals/{id}?wait=20`, one connection each) spread over
 * `ids`: RSS of the gateway process from /proc, and /healthz latency as an indirect measure of
 * event-loop delay. Released by closing the connections (the gateway cleans up on close).
 *
 * On FerretDB v1 (SQLite) every read of an approval scans the table up to it, so 1,000 distinct
 * approvals would cost minutes of database time to set up; there the waits share a few approvals at
 * the start of the table. The gateway holds one subscription per call either way.
 */
export async function heldWaitsPhase(ctx: BenchContext, ids: string[], waits: number): Promise<HeldWaitsResult> {
  const pid = ctx.gateway.proc.pid;
  const { settings } = ctx;
  const rssStartMb = memoryOf(pid).rssMb;
  const cpuBefore = cpuSecondsOf(pid);
  await probeHealth(ctx.gateway.url, 0.5); // warm the route
  const healthIdle = await probeHealth(ctx.gateway.url, settings.probeS);
  const rssIdleMb = memoryOf(pid).rssMb;

  ctx.log(`held waits: opening ${waits} held calls on ${ids.length} approvals`);
  const controllers: AbortController[] = [];
  let answeredEarly = 0;
  const answeredEarlyStatuses: Record<string, number> = {};
  let isReleasing = false;
  // Opened over about a second (100 every 100 ms), as held calls arrive in practice, not in one burst.
  const calls: Promise<void>[] = [];
  for (let i = 0; i < waits; i++) {
    if (i > 0 && i % 100 === 0) await sleep(100);
    const id = ids[i % ids.length] as string;
    const controller = new AbortController();
    controllers.push(controller);
    const call = request(`${ctx.gateway.url}/api/approvals/${id}?wait=20`, {
      headers: { 'x-api-key': ctx.account.flowKey },
      agent: false,
      signal: controller.signal,
      timeoutMs: 40_000,
    }).then(
      (res) => {
        if (!isReleasing) {
          answeredEarly++;
          answeredEarlyStatuses[res.status] = (answeredEarlyStatuses[res.status] ?? 0) + 1;
        }
      },
      () => {
        if (!isReleasing) {
          answeredEarly++;
          answeredEarlyStatuses['error'] = (answeredEarlyStatuses['error'] ?? 0) + 1;
        }
      },
    );
    calls.push(call);
  }
  const pids = [pid, ...(ctx.ferretdbPid ? [ctx.ferretdbPid] : [])];
  const setupStarted = Date.now();
  await sleep(500);
  await waitQuiet(pids, 12_000);
  const setupMs = Date.now() - setupStarted;
  ctx.log(`held waits: set up in ${setupMs} ms; probing`);

  let rssHeldMb = memoryOf(pid).rssMb;
  const sampler = setInterval(() => {
    rssHeldMb = Math.max(rssHeldMb, memoryOf(pid).rssMb);
  }, 200);
  const healthHeld = await probeHealth(ctx.gateway.url, settings.probeS);
  clearInterval(sampler);
  rssHeldMb = Math.max(rssHeldMb, memoryOf(pid).rssMb);

  isReleasing = true;
  for (const c of controllers) c.abort();
  await Promise.all(calls);
  await sleep(1_000);
  const after = memoryOf(pid);
  const gatewayCpuS = Math.round((cpuSecondsOf(pid) - cpuBefore) * 10) / 10;
  return {
    waits,
    approvals: ids.length,
    rssStartMb: Math.round(rssStartMb * 10) / 10,
    rssIdleMb: Math.round(rssIdleMb * 10) / 10,
    rssHeldMb: Math.round(rssHeldMb * 10) / 10,
    rssAfterMb: Math.round(after.rssMb * 10) / 10,
    peakRssMb: Math.round(after.peakRssMb * 10) / 10,
    healthIdle,
    healthHeld,
    setupMs,
    answeredEarly,
    answeredEarlyStatuses,
    approvalsStored: (await collectionSizes(ctx.conn)).approvals,
    gatewayCpuS,
  };
}

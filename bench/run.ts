/**
 * `npm run bench`: the gateway's figures at 1,000, 10,000 and 100,000 stored approvals on FerretDB
 * SQLite and FerretDB PostgreSQL, each beside a bare baseline measured in the same run. Loopback only;
 * every loop is bounded in count and time; every process started here is stopped and the PostgreSQL
 * database dropped (also on Ctrl-C and on failure). Prints the tables, writes bench/results/latest.json
 * and BENCHMARKS.md (with bench/notes.md).
 *
 * Env: BENCH_QUICK=1 (short trial run, smaller sizes), BENCH_BACKENDS=sqlite,postgresql (the default:
 * both), BENCH_SIZES=1000,100000 (other sizes, for a closer look at one), BENCH_POSTGRESQL_URL (server for the PostgreSQL backend; default postgres://postgres@127.0.0.1:5432/,
 * trust auth; a throw-away database cheqpoint_bench_<random> is created there and dropped).
 *
 * `npm run bench -- --report-only` rewrites BENCHMARKS.md from bench/results/latest.json (after editing
 * bench/notes.md or the report generator), without measuring again.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { accountsService } from '../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../server/src/config.js';
import { connectDatabase } from '../server/src/db/connection.js';
import { ensureIndexes } from '../server/src/indexes.js';
import {
  BACKENDS,
  dropLeftoverPgDatabases,
  dropLeftoverPgDatabasesSync,
  openBackend,
  postgresTarget,
  type Backend,
  type BackendName,
} from './lib/backend.js';
import {
  benchSettings,
  startBaselineProcess,
  startGatewayProcess,
  withDatabase,
  type BenchContext,
  type RunningServer,
} from './lib/context.js';
import { CpuMeter } from './lib/cpu.js';
import { installCleanup, stopAll, waitQuiet } from './lib/procs.js';
import { startReceiver } from './lib/receiver.js';
import { buildReport, writeReport } from './lib/report.js';
import type { BackendResult, BenchResults, SizeResult } from './lib/results.js';
import {
  addPendingWorkingSet,
  growTo,
  markStorageCurrent,
  newSeedState,
  noteSamples,
  removePendingWorkingSet,
  takePending,
} from './lib/seed.js';
import { backgroundAlertPhase } from './phases/background-alert.js';
import { callbacksPhase } from './phases/callbacks.js';
import { decisionPhase } from './phases/decisions.js';
import { heldDecisionsPhase, heldMemoryPhase } from './phases/held-waits.js';
import { idlePhase } from './phases/idle.js';
import { intakeRun } from './phases/intake.js';
import { baselineFindPhase, getByIdPhase, queuePhase, ticketListPhase } from './phases/reads.js';
import { insightsPhase } from './phases/insights.js';
import { slackPhase } from './phases/slack.js';

/**
 * At this point the phase running is abandoned and the rest skipped; the processes are stopped and the
 * report is written with what was measured. A full run (both backends, every phase) takes about 12–15
 * minutes on 2 cores; this leaves room for a busy machine.
 */
const HARD_LIMIT_MS = 1_500_000;
/** The pending-set phase of a size is skipped when less than this is left before HARD_LIMIT_MS. */
const WIDE_RESERVE_MS = 60_000;
/** Last resort: exit (killing every process group started) if stopping and reporting hang. */
const EXIT_LIMIT_MS = HARD_LIMIT_MS + 35_000;

const startedAt = new Date();
const t0 = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
const sizeLabel = (n: number) => (n === 0 ? 'empty' : n >= 1000 ? `${n / 1000}k` : String(n));

const quick = process.env['BENCH_QUICK'] === '1';
const settings = benchSettings(quick);
if (process.env['BENCH_WIDE_PENDING'])
  settings.widePending = Math.max(0, Number(process.env['BENCH_WIDE_PENDING']) || 0);
if (process.env['BENCH_SIZES']) {
  // For a look at one size (debugging); the report's ratios need the default sizes.
  settings.sizes = process.env['BENCH_SIZES']
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
}
const chosen = (process.env['BENCH_BACKENDS'] ?? BACKENDS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is BackendName => (BACKENDS as readonly string[]).includes(s));

let current: { backend: Backend | null; conn: Connection | null } = { backend: null, conn: null };
let receiver: Awaited<ReturnType<typeof startReceiver>> | null = null;

async function teardown() {
  await stopAll();
  await current.conn?.close().catch(() => {});
  await current.backend?.stop().catch(() => {});
  current = { backend: null, conn: null };
  await dropLeftoverPgDatabases(postgresTarget());
  await receiver?.close().catch(() => {});
  receiver = null;
}

/** The results so far, for the last-resort report. */
let partial: BenchResults | null = null;
let isOverTime = false;
let reachLimit!: () => void;
const overTime = new Promise<'over-time'>((resolve) => {
  reachLimit = () => resolve('over-time');
});

async function main() {
  installCleanup(teardown);
  // After the process groups are killed (installCleanup's exit handler runs first): no database left behind.
  process.on('exit', () => dropLeftoverPgDatabasesSync(postgresTarget()));
  const watchdog = setTimeout(() => {
    isOverTime = true;
    log(`time limit of ${HARD_LIMIT_MS / 1000} s reached: abandoning the phase running and skipping the rest`);
    reachLimit();
  }, HARD_LIMIT_MS);
  const lastResort = setTimeout(() => {
    console.error('the run did not finish in time: writing what was measured and exiting');
    try {
      if (partial) {
        partial.durationS = Math.round((Date.now() - t0) / 1000);
        partial.errors['run'] = 'stopped at the last-resort limit: stopping and reporting did not finish in time';
        writeReport(buildReport(partial));
      }
    } finally {
      process.exit(124);
    }
  }, EXIT_LIMIT_MS);
  lastResort.unref();
  const loadSamples = [os.loadavg()[0] ?? NaN];
  const loadSampler = setInterval(() => loadSamples.push(os.loadavg()[0] ?? NaN), 10_000);

  receiver = await startReceiver();
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    durationS: 0,
    settings,
    backends: [],
    loadAverage: { start: loadSamples[0] ?? NaN, max: NaN, end: NaN, samples: loadSamples },
    errors: {},
    receiverPort: receiver.port,
  };
  partial = results;
  log(
    `${quick ? 'quick run' : 'full run'}: backends ${chosen.join(', ')}; sizes ${settings.sizes.map(sizeLabel).join(' → ')}; ` +
      `load average ${loadSamples[0]?.toFixed(2)}; callback receiver on ${receiver.url}`,
  );
  for (const name of chosen) {
    if (isOverTime) {
      results.errors[name] = 'skipped: the run reached its time limit';
      continue;
    }
    const result: BackendResult = {
      name,
      label: name,
      versions: {},
      serverVersion: null,
      sizes: [],
      phases: [],
      errors: {},
    };
    results.backends.push(result);
    try {
      await runBackend(name, result);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${name}: FAILED: ${message}`);
      result.errors['backend'] = message.slice(0, 2000);
    } finally {
      await stopAll();
      await current.conn?.close().catch(() => {});
      await current.backend?.stop().catch(() => {});
      current = { backend: null, conn: null };
    }
  }
  clearTimeout(watchdog);
  clearInterval(loadSampler);
  await teardown();
  loadSamples.push(os.loadavg()[0] ?? NaN);
  results.durationS = Math.round((Date.now() - t0) / 1000);
  results.loadAverage.max = Math.max(...loadSamples.filter(Number.isFinite));
  results.loadAverage.end = loadSamples.at(-1) ?? NaN;
  const report = buildReport(results);
  writeReport(report);
  log(`wrote bench/results/latest.json and BENCHMARKS.md (${results.durationS} s in all)`);
  const failed =
    Object.keys(results.errors).length + results.backends.filter((b) => Object.keys(b.errors).length).length;
  process.exit(failed > 0 ? 1 : 0);
}

async function runBackend(name: BackendName, result: BackendResult) {
  log(`${name}: starting FerretDB`);
  const backend = await openBackend(name, log);
  current.backend = backend;
  result.label = backend.label;
  result.versions = backend.versions;
  const dbUri = withDatabase(backend.uri, 'cheqpoint_bench');
  const conn = await connectDatabase(dbUri);
  current.conn = conn;
  const buildInfo = (await conn
    .db!.admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}))) as Record<string, unknown>;
  result.serverVersion = typeof buildInfo['version'] === 'string' ? buildInfo['version'] : null;
  await ensureIndexes(conn);
  await markStorageCurrent(conn);
  const account = await accountsService(conn).createAccount('bench');
  const seed = newSeedState(account.accountId, 'key_bench', settings.auditSeeded);
  log(`${backend.label} on ${backend.uri}`);

  const ctx: BenchContext = {
    settings,
    backend,
    conn,
    account,
    seed,
    size: 0,
    receiver: receiver!,
    gatewayA: null,
    gatewayB: null,
    baseline: null,
    log,
  };
  const pidOf = (s: RunningServer | null) => (s && !s.proc.hasExited() ? [s.proc.pid] : []);
  const meter = new CpuMeter([
    { name: 'ferretdb', pids: () => (backend.ferretdbPid ? [backend.ferretdbPid] : []) },
    { name: 'postgres', pids: backend.postgresPids },
    { name: 'gatewayA', pids: () => pidOf(ctx.gatewayA) },
    { name: 'gatewayB', pids: () => pidOf(ctx.gatewayB) },
    { name: 'baseline', pids: () => pidOf(ctx.baseline) },
  ]);
  const dbPids = () => [...(backend.ferretdbPid ? [backend.ferretdbPid] : []), ...backend.postgresPids()];
  const counted = ['ferretdb', 'postgres', 'gatewayA'];

  /** Runs one measurement with its CPU accounted; abandoned at the time limit; a failure is recorded. */
  const phase = async <T>(
    label: string,
    run: () => Promise<T>,
    requests?: (r: T) => number | null,
  ): Promise<T | undefined> => {
    const key = `${sizeLabel(ctx.size)} ${label}`;
    if (isOverTime) {
      result.errors[key] = 'skipped: the run reached its time limit';
      return undefined;
    }
    // Let the processes finish work left from the previous phase (bounded), outside this one's account.
    await waitQuiet([...dbPids(), ...pidOf(ctx.gatewayA), ...pidOf(ctx.gatewayB)], 5_000, 0.15);
    const before = meter.snapshot();
    const running = run();
    running.catch(() => {}); // an abandoned phase may fail once its processes are stopped
    const account = (value: T | undefined) => {
      const { wallS, cpuS } = meter.since(before);
      result.phases.push({
        backend: name,
        size: ctx.size,
        name: label,
        wallS,
        cpuS,
        requests: value !== undefined && requests ? requests(value) : null,
      });
      return wallS;
    };
    try {
      const value = await Promise.race([running, overTime]);
      if (value === 'over-time') {
        account(undefined);
        result.errors[key] = 'abandoned: the run reached its time limit';
        return undefined;
      }
      const wallS = account(value);
      log(`${name} ${key}: done in ${wallS.toFixed(1)} s${summaryOf(value)}`);
      return value;
    } catch (err) {
      account(undefined);
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${name} ${key}: FAILED: ${message}`);
      result.errors[key] = message.slice(0, 2000);
      return undefined;
    }
  };

  const startA = async () => {
    ctx.gatewayA = await startGatewayProcess(`gateway-a-${name}`, dbUri);
  };
  const startOthers = async () => {
    [ctx.gatewayB, ctx.baseline] = await Promise.all([
      startGatewayProcess(`gateway-b-${name}`, dbUri, {
        NODE_ENV: 'development',
        CHEQPOINT_CALLBACK_ALLOWLIST: `127.0.0.1:${ctx.receiver.port}`,
      }),
      startBaselineProcess(dbUri),
    ]);
  };
  const stop = async (which: 'gatewayA' | 'gatewayB' | 'baseline') => {
    await ctx[which]?.proc.stop();
    ctx[which] = null;
  };
  const idleOptions = (stored: number) => ({
    windowS: settings.idleS,
    quietMaxS: settings.quietMaxS,
    stored,
    counted,
  });
  const quietPids = () => [...dbPids(), ...pidOf(ctx.gatewayA)];

  // Idle with an empty store: the baseline of the idle figure (gateway A alone).
  await startA();
  result.idleEmpty = await phase('idle, gateway A alone', () => idlePhase(meter, quietPids, idleOptions(0)));
  await stop('gatewayA');

  const largest = settings.sizes.at(-1) ?? 0;
  for (const size of settings.sizes) {
    if (isOverTime) break;
    ctx.size = size;
    const sr: SizeResult = { size, stored: null, seed: null };
    result.sizes.push(sr);
    sr.seed =
      (await phase(
        'seed',
        () => growTo(conn, seed, size),
        (r) => Object.values(r.docs).reduce((a, b) => a + b, 0),
      )) ?? null;
    if (!sr.seed) continue;
    const isLargest = size === largest;
    log(`${name} ${sizeLabel(size)}: starting gateway A${isLargest ? '' : ', gateway B and the baseline'}`);
    if (isLargest) {
      await startA();
      result.idleFull = await phase('idle, gateway A alone', () => idlePhase(meter, quietPids, idleOptions(size)));
      await startOthers();
    } else {
      await Promise.all([startA(), startOthers()]);
    }
    sr.stored = { ...seed.counts };
    const count = (r: { sent: number }) => r.sent;
    sr.getById = await phase('GET /api/approvals/{id}', () => getByIdPhase(ctx), count);
    sr.baselineFind = await phase('baseline findById', () => baselineFindPhase(ctx), count);
    sr.ticketList = await phase('ticket list', () => ticketListPhase(ctx), count);
    const pending = seed.counts.pending;
    const queue = await phase('queue first page', () => queuePhase(ctx), count);
    sr.queue = queue ? { ...queue, pending } : undefined;
    const decided = (r: { decisionToAnswer: { count: number } }) => r.decisionToAnswer.count;
    const sameIds = takePending(seed, settings.decisions);
    sr.decisionSame = await phase(
      'decision → held answer, in process',
      () => decisionPhase(ctx, ctx.gatewayA!, ctx.gatewayA!, sameIds, settings.sameConcurrency),
      decided,
    );
    noteSamples(seed, { decided: sr.decisionSame?.decisionToAnswer.count ?? 0 });
    const crossIds = takePending(seed, settings.decisions);
    sr.decisionCross = await phase(
      'decision → held answer, across processes',
      () => decisionPhase(ctx, ctx.gatewayA!, ctx.gatewayB!, crossIds, settings.crossConcurrency),
      decided,
    );
    noteSamples(seed, { decided: sr.decisionCross?.decisionToAnswer.count ?? 0 });
    if (isLargest) {
      // Memory before the held waits with decisions: those leave V8's heap grown by 1,000 calls' garbage.
      const ids = takePending(seed, settings.memoryWaits);
      const held = await phase(`${settings.memoryWaits} held waits, memory`, () => heldMemoryPhase(ctx, ids));
      result.heldMemory = held ? { ...held, stored: seed.counts.approvals } : undefined;
    }
    if (size === Math.min(settings.waitsSize, largest)) {
      const ids = takePending(seed, settings.waits);
      const held = await phase(
        `${settings.waits} held waits timing out together, ${settings.waitsDecided} decided`,
        () => heldDecisionsPhase(ctx, ids),
        (r) => r.waits + r.decided,
      );
      result.heldDecisions = held ? { ...held, stored: seed.counts.approvals } : undefined;
      noteSamples(seed, { decided: held?.decisionCall.count ?? 0 });
    }
    if (isLargest) {
      const okOf = (r: { ok: number; warmupOk?: number }) => r.ok + (r.warmupOk ?? 0);
      const stored = seed.counts.approvals;
      const intake = {
        saturated: {
          gateway: (await phase('intake saturated', () => intakeRun(ctx, 'gateway', 'saturated'), okOf)) ?? null,
          baseline:
            (await phase('baseline insert saturated', () => intakeRun(ctx, 'baseline', 'saturated'), okOf)) ?? null,
        },
        rate: {
          gateway: (await phase('intake at fixed rate', () => intakeRun(ctx, 'gateway', 'rate'), okOf)) ?? null,
          baseline:
            (await phase('baseline insert at fixed rate', () => intakeRun(ctx, 'baseline', 'rate'), okOf)) ?? null,
        },
        stored,
      };
      result.intake = intake;
      const created = (intake.saturated.gateway ? okOf(intake.saturated.gateway) : 0) + (intake.rate.gateway?.ok ?? 0);
      noteSamples(seed, { created, createdPending: created });
      const slack = await phase(
        'Slack: intake → message posted, click → held answer',
        () => slackPhase(ctx),
        (r) => r.clickToAnswer.count,
      );
      result.slack = slack ? { ...slack, stored: seed.counts.approvals } : undefined;
      const slackDecided = slack?.clickToAnswer.count ?? 0;
      noteSamples(seed, { created: slackDecided, createdPending: slackDecided, decided: slackDecided });
      const alert = await phase(
        'intake → Zendesk notification in a background instance (harness, Chromium)',
        () => backgroundAlertPhase(ctx),
        (r) => r.intakeToNotification.count,
      );
      result.backgroundAlert = alert ? { ...alert, stored: seed.counts.approvals } : undefined;
      const alerted = alert?.intakeToNotification.count ?? 0;
      noteSamples(seed, { created: alerted, createdPending: alerted });
      const insights = await phase(
        'insights: GET /api/agent/insights?days=90 beside a plain GET',
        () => insightsPhase(ctx),
        (r) => r.insights.count + r.plainGet.count + r.suggestions.count,
      );
      result.insights = insights ? { ...insights, stored: seed.counts.approvals } : undefined;
    }
    const widen = settings.widePending - seed.counts.pending;
    if (widen > 0 && Date.now() - t0 > HARD_LIMIT_MS - WIDE_RESERVE_MS) {
      result.errors[`${sizeLabel(size)} pending set grown`] = 'skipped: not enough time left in the run';
    } else if (widen > 0) {
      // The same ticket lists and queue pages with the pending working set grown to widePending: extra
      // pending-set entries written straight into the store (see addPendingWorkingSet), then a fresh
      // gateway A (it reads the whole pending set at start; B and the baseline run on, as when the
      // size's own set was measured); removed again so the next size starts as before.
      await stop('gatewayA');
      const grown = await phase(`grow the pending set to ${sizeLabel(settings.widePending)}`, () =>
        addPendingWorkingSet(conn, seed, widen),
      );
      if (grown) {
        const startedAt = performance.now();
        await startA();
        const startMs = Math.round(performance.now() - startedAt);
        const pending = seed.counts.pending + widen;
        const wide = sizeLabel(settings.widePending);
        sr.ticketListWide = await phase(`ticket list, ${wide} pending`, () => ticketListPhase(ctx), count);
        const queueWide = await phase(`queue first page, ${wide} pending`, () => queuePhase(ctx), count);
        sr.queueWide = queueWide ? { ...queueWide, pending } : undefined;
        await stop('gatewayA');
        // After the largest size nothing reads the pending set again (B started before the extras).
        const removed = isLargest ? { ms: 0 } : await removePendingWorkingSet(conn, grown);
        sr.workingSet = { extra: widen, pending, seedMs: grown.ms, startMs, removeMs: removed.ms };
        log(
          `${name} ${sizeLabel(size)}: pending set of ${pending} loaded by a start of ${startMs} ms; extras removed in ${removed.ms} ms`,
        );
      }
    }
    await Promise.all([stop('gatewayA'), stop('baseline')]);
    sr.callbacks = await phase(
      'first callback attempt (gateway B alone)',
      () => callbacksPhase(ctx),
      (r) => r.firstAttempt.count,
    );
    noteSamples(seed, {
      created: sr.callbacks?.firstAttempt.count ?? 0,
      decided: sr.callbacks?.firstAttempt.count ?? 0,
    });
    await stop('gatewayB');
  }
}

/** A short summary of a phase's result for the progress line. */
function summaryOf(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  const v = value as Record<string, any>;
  const lat = (l: any) => (l && typeof l.p50 === 'number' ? `p50/p99 ${l.p50}/${l.p99} ms (n=${l.count})` : '');
  if (v['latency']) return `: ${lat(v['latency'])}${v['failures'] ? `, ${v['failures']} failures` : ''}`;
  if (v['decisionToAnswer'])
    return `: ${lat(v['decisionToAnswer'])}${v['failures'] ? `, ${v['failures']} failures` : ''}`;
  if (v['firstAttempt']) return `: ${lat(v['firstAttempt'])}; bare POST ${lat(v['barePost'])}`;
  if (typeof v['percentOfCore'] === 'number') return `: ${v['percentOfCore']} % of a core ${JSON.stringify(v['cpuS'])}`;
  if (v['decidedLateness'])
    return `: decided late max ${v['decidedLateness'].max} ms, undecided late max ${v['undecidedLateness'].max} ms, ${v['wrongAnswers']} wrong`;
  if (typeof v['rssHeldMb'] === 'number') return `: RSS ${v['rssBeforeMb']} → ${v['rssHeldMb']} MB (${v['held']} held)`;
  if (typeof v['rps'] === 'number')
    return `: ${v['rps']} req/s, p50/p99 ${v['p50']}/${v['p99']} ms, non-2xx ${v['non2xx']}`;
  if (v['docs']) return `: ${JSON.stringify(v['docs'])} in ${v['ms']} ms`;
  return '';
}

if (process.argv.includes('--report-only')) {
  const latest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as {
    results: BenchResults;
  };
  writeReport(buildReport(latest.results));
  console.log('rewrote BENCHMARKS.md from bench/results/latest.json');
} else {
  main().catch(async (err: unknown) => {
    console.error(err);
    await teardown().catch(() => {});
    process.exit(1);
  });
}

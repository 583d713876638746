/**
 * `npm run bench`: the gateway's benchmarks, each against a baseline measured in the same run.
 * Loopback only; every loop is bounded in count and time; every process started here is stopped
 * (also on Ctrl-C). Prints a table, writes bench/results/latest.json and BENCHMARKS.md.
 *
 * Env: MONGODB_URI (use that server instead of a throw-away FerretDB; the benchmarks create and drop
 * their own databases there), BENCH_FERRETDB_HANDLER=postgresql with BENCH_POSTGRESQL_URL (FerretDB on
 * PostgreSQL instead of SQLite, for comparison; default postgres://postgres@127.0.0.1:5432/test),
 * BENCH_QUICK=1 (short trial run).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { accountsService } from '../server/src/accounts/accounts.service.js';
import { loadConfig, REPO_ROOT } from '../server/src/config.js';
import { connectDatabase } from '../server/src/db/connection.js';
import {
  ensureFerretdbBinary,
  FERRETDB_VERSION,
  freePort,
  startFerretdb,
  type EmbeddedDatabase,
} from '../server/src/db/embedded-ferretdb.js';
import {
  benchSettings,
  bundleGateway,
  startBaselineProcess,
  startGatewayProcess,
  withDatabase,
  type BenchContext,
} from './lib/context.js';
import { runLoad } from './lib/load.js';
import { childPids, cpuSecondsOf, installCleanup, killOnExit, stopAll, waitQuiet } from './lib/procs.js';
import { round } from './lib/stats.js';
import { buildReport, writeReport, type BenchResults } from './lib/report.js';
import { approvalDoc, seedApprovals } from './lib/seed.js';
import { callbacksPhase } from './phases/callbacks.js';
import { decisionLatencyPhase } from './phases/decision-latency.js';
import { heldWaitsPhase } from './phases/held-waits.js';
import { intakePhase } from './phases/intake.js';
import { listPhase } from './phases/list.js';
import { statusPhase } from './phases/status.js';

/**
 * At this point the phase running is abandoned and the rest skipped; the processes are stopped and the
 * report is written with what was measured. The phases are sized to finish well before.
 */
const HARD_LIMIT_MS = 270_000;
/** Last resort: exit (killing every process group started) if stopping and reporting hang. */
const EXIT_LIMIT_MS = 295_000;

const startedAt = new Date();
const t0 = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);

let ferretdb: EmbeddedDatabase | null = null;
let dataDir: string | null = null;
let conn: Connection | null = null;
const createdDatabases: string[] = [];
const givenUri = process.env['MONGODB_URI'] || null;
/** FerretDB's backend when MONGODB_URI is not set: SQLite (the embedded default) or PostgreSQL (for comparison). */
const handler = process.env['BENCH_FERRETDB_HANDLER'] === 'postgresql' ? 'postgresql' : 'sqlite';
const postgresqlUrl = process.env['BENCH_POSTGRESQL_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
/** Databases that outlive the run unless dropped: any but the throw-away SQLite folder. */
const isPersistent = givenUri !== null || handler === 'postgresql';

async function teardown() {
  await stopAll();
  if (conn) {
    if (isPersistent) {
      for (const name of createdDatabases)
        await conn
          .useDb(name)
          .dropDatabase()
          .catch(() => {});
    }
    await conn.close().catch(() => {});
    conn = null;
  }
  if (ferretdb) await ferretdb.stop();
  ferretdb = null;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
}

/** autocannon setupRequest that cycles the path over `ids`. */
function cycleIds(prefix: string, ids: string[]) {
  let i = 0;
  return (req: object) => ({ ...req, path: `${prefix}${ids[i++ % ids.length]}` });
}

async function main() {
  const isFerretdb = !givenUri;
  const settings = benchSettings(process.env['BENCH_QUICK'] === '1', isFerretdb);
  installCleanup(teardown);
  let isOverTime = false;
  let reachLimit!: () => void;
  const overTime = new Promise<'over-time'>((resolve) => {
    reachLimit = () => resolve('over-time');
  });
  const watchdog = setTimeout(() => {
    isOverTime = true;
    log(`time limit of ${HARD_LIMIT_MS / 1000} s reached: abandoning the phase running and skipping the rest`);
    reachLimit();
  }, HARD_LIMIT_MS);
  const lastResort = setTimeout(() => {
    console.error('the run did not finish in time: exiting');
    process.exit(124);
  }, EXIT_LIMIT_MS);
  lastResort.unref();

  const loadStart = os.loadavg()[0] ?? NaN;
  let baseUri: string;
  let databaseLabel: string;
  if (givenUri) {
    baseUri = givenUri;
    databaseLabel = 'MONGODB_URI';
  } else {
    const bin = await ensureFerretdbBinary(path.join(REPO_ROOT, '.tools'), log);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-bench-db-'));
    ferretdb = await startFerretdb({
      bin,
      port: await freePort(),
      dataDir,
      handler,
      ...(handler === 'postgresql' ? { postgresqlUrl } : {}),
    });
    baseUri = ferretdb.uri;
    databaseLabel =
      handler === 'postgresql'
        ? `FerretDB ${FERRETDB_VERSION} on PostgreSQL (${new URL(postgresqlUrl).host})`
        : `FerretDB ${FERRETDB_VERSION} on SQLite (throw-away folder)`;
    log(`${databaseLabel} on ${baseUri}`);
  }
  const dbName = `cqp_bench_${randomBytes(3).toString('hex')}`;
  const uriFor = (name: string) => withDatabase(baseUri, name);
  createdDatabases.push(dbName, `${dbName}_cb`, `${dbName}_list`);

  const results: BenchResults = { errors: {}, cpu: {} };
  const timeLeftMs = () => HARD_LIMIT_MS - (Date.now() - t0);
  let gatewayPid: number | null = null;
  const ferretdbPid = ferretdb ? (childPids('ferretdb')[0] ?? null) : null;
  if (ferretdbPid) killOnExit(ferretdbPid);
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (isOverTime) {
      results.errors[name] = 'skipped: the run reached its time limit';
      return undefined;
    }
    // Let the database finish work left over from the previous phase (bounded), outside the phase's accounts.
    const settleMs = ferretdbPid ? await waitQuiet([ferretdbPid], 10_000, 0.25) : 0;
    const started = Date.now();
    const pid = gatewayPid;
    const before = { gateway: pid ? cpuSecondsOf(pid) : 0, db: ferretdbPid ? cpuSecondsOf(ferretdbPid) : 0 };
    const benchBefore = process.cpuUsage();
    const account = () => {
      const bench = process.cpuUsage(benchBefore);
      results.cpu[name] = {
        wallS: round((Date.now() - started) / 1000, 1),
        gatewayCpuS: pid ? round(cpuSecondsOf(pid) - before.gateway, 1) : null,
        ferretdbCpuS: ferretdbPid ? round(cpuSecondsOf(ferretdbPid) - before.db, 1) : null,
        benchCpuS: round((bench.user + bench.system) / 1e6, 1),
        settleS: round(settleMs / 1000, 1),
      };
    };
    const running = run();
    running.catch(() => {}); // an abandoned phase may fail once its processes are stopped
    try {
      const result = await Promise.race([running, overTime]);
      account();
      if (result === 'over-time') {
        results.errors[name] = 'abandoned: the run reached its time limit';
        return undefined;
      }
      log(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } catch (err) {
      account();
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${name}: FAILED: ${message}`);
      results.errors[name] = message.slice(0, 2000);
      return undefined;
    }
  };

  // 1. Callback dispatch, on its own gateway process (development mode for the allowlist) and database.
  results.callbacks = await phase('callbacks', () =>
    callbacksPhase(uriFor(`${dbName}_cb`), { deliveries: settings.deliveries, timeS: settings.deliveryTimeS, log }),
  );

  // 2. The gateway under test (production mode) and the bare baseline, on one database.
  conn = await connectDatabase(uriFor(dbName));
  const gateway = await startGatewayProcess('gateway-a', uriFor(dbName));
  const baseline = await startBaselineProcess(uriFor(dbName));
  const account = await accountsService(conn).createAccount('bench');
  const buildInfo = (await conn
    .db!.admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}))) as Record<string, unknown>;
  gatewayPid = gateway.proc.pid;
  const ctx: BenchContext = {
    settings,
    uriFor,
    dbName,
    conn,
    ferretdbPid,
    gateway,
    baseline,
    account,
    log,
    timeLeftMs,
  };
  log(`gateway ${gateway.url} (pid ${gateway.proc.pid}), baseline ${baseline.url} (pid ${baseline.proc.pid})`);

  // The approvals the held waits and the status reads use: the first rows of a fresh collection.
  const seeded = Array.from({ length: settings.statusApprovals }, (_, i) =>
    approvalDoc(account.accountId, { ticketId: String(i % 100), n: i }),
  );
  await seedApprovals(conn, seeded);
  const ids = seeded.map((d) => d._id);

  results.heldWaits = await phase('held waits', () =>
    heldWaitsPhase(ctx, ids.slice(0, settings.waitApprovals), settings.waits),
  );
  results.status = await phase('status reads', () => statusPhase(ctx, ids));
  results.decisionSameProcess = await phase('decision latency (same process)', () =>
    decisionLatencyPhase(ctx, {
      holderUrl: gateway.url,
      deciderUrl: gateway.url,
      ...settings.decision,
      watchIntervalMs: null,
    }),
  );
  results.decisionCrossProcess = await phase('decision latency (two processes)', async () => {
    const other = await startGatewayProcess('gateway-b', uriFor(dbName));
    try {
      return await decisionLatencyPhase(ctx, {
        holderUrl: gateway.url,
        deciderUrl: other.url,
        ...settings.cross,
        // The gateways run with the default interval (CHEQPOINT_WATCH_INTERVAL_MS unset).
        watchIntervalMs: loadConfig({}).CHEQPOINT_WATCH_INTERVAL_MS,
      });
    } finally {
      await other.proc.stop();
    }
  });
  results.intake = await phase('intake', () => intakePhase(ctx));
  results.heldWaitsCompiled = await phase('held waits (compiled JS)', async () => {
    // The same waits on the gateway compiled to one JavaScript file and run with plain node (no tsx).
    const bundle = await bundleGateway();
    if (!bundle) return undefined;
    const compiled = await startGatewayProcess('gateway-compiled', uriFor(dbName), {}, bundle);
    try {
      return await heldWaitsPhase({ ...ctx, gateway: compiled }, ids.slice(0, settings.waitApprovals), settings.waits);
    } finally {
      await compiled.proc.stop();
    }
  });
  results.heldWaitsSmall = await phase('held waits (--optimize-for-size)', async () => {
    // The same waits on the gateway started as `npm start` does, with V8's --optimize-for-size (smaller heap
    // growth and young generation), and what that costs: status reads on it against the default gateway.
    const small = await startGatewayProcess('gateway-small', uriFor(dbName), {}, undefined, ['--optimize-for-size']);
    try {
      const held = await heldWaitsPhase(
        { ...ctx, gateway: small },
        ids.slice(0, settings.waitApprovals),
        settings.waits,
      );
      const statusRun = (url: string) =>
        runLoad({
          url,
          requests: [
            {
              method: 'GET',
              headers: { 'x-api-key': account.flowKey },
              setupRequest: cycleIds('/api/approvals/', ids),
            },
          ],
          connections: settings.connections,
          durationS: settings.loadS,
        });
      log(`held waits (--optimize-for-size): status reads, ${settings.loadS} s on each gateway`);
      const statusSmall = await statusRun(small.url);
      const statusDefault = await statusRun(gateway.url);
      return { ...held, statusSmall, statusDefault };
    } finally {
      await small.proc.stop();
    }
  });
  await Promise.all([gateway.proc.stop(), baseline.proc.stop()]);
  gatewayPid = null;

  // 3. The agent list with 100,000 approvals: its own database (seeded first) and gateway process.
  results.list = await phase('list query', () => listPhase({ settings, log, timeLeftMs }, uriFor(`${dbName}_list`)));

  clearTimeout(watchdog);
  await teardown();
  const report = buildReport({
    results,
    settings,
    startedAt,
    durationS: (Date.now() - t0) / 1000,
    loadAverage: { start: loadStart, end: os.loadavg()[0] ?? NaN },
    database: {
      label: databaseLabel,
      serverVersion: typeof buildInfo['version'] === 'string' ? buildInfo['version'] : null,
      ferretdbVersion: givenUri ? null : FERRETDB_VERSION,
      isFerretdbSqlite: isFerretdb && handler === 'sqlite',
    },
  });
  writeReport(report);
  log(`wrote bench/results/latest.json and BENCHMARKS.md (${report.durationS.toFixed(0)} s in all)`);
  process.exit(Object.keys(results.errors).length > 0 ? 1 : 0);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await teardown().catch(() => {});
  process.exit(1);
});

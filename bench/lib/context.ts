import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Connection } from 'mongoose';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { freePort } from '../../server/src/db/embedded-ferretdb.js';
import type { Backend } from './backend.js';
import { spawnNode, spawnTs, waitReady, type Proc } from './procs.js';
import type { Receiver } from './receiver.js';
import type { SeedState } from './seed.js';

/** Sizes, sample counts and durations; BENCH_QUICK=1 shrinks everything for a trial run. */
export function benchSettings(quick: boolean) {
  return {
    quick,
    /** Stored approvals at which the per-size figures are measured (one database per backend, grown). */
    sizes: quick ? [1_000, 5_000] : [1_000, 10_000, 100_000],
    /** Audit events seeded: `requested` for the pending approvals only (see seed.ts and the report). */
    auditSeeded: 'pending' as 'none' | 'pending' | 'all',
    /** Sequential GET /api/approvals/{id} (and as many baseline findById round trips), after a warm-up. */
    reads: quick ? 60 : 200,
    warmup: 20,
    ticketLists: quick ? 30 : 100,
    queuePages: quick ? 20 : 50,
    queueLimit: 50,
    /** Decision → held answer samples, in process and across processes, and how many run at once. */
    decisions: quick ? 15 : 40,
    sameConcurrency: 2,
    crossConcurrency: 4,
    /** How long after opening the held call the decision is sent (the call subscribes meanwhile). */
    holdDelayMs: 100,
    callbacks: quick ? 15 : 40,
    /** Idle CPU: measurement window, and the longest wait for the processes to go quiet before it. */
    idleS: quick ? 6 : 12,
    quietMaxS: 10,
    /**
     * Held waits with decisions, at `waitsSize` stored (or the largest size, if smaller): opened in a
     * burst so they time out together (1,000 at 100k: enough pending approvals there).
     */
    waitsSize: quick ? 5_000 : 100_000,
    waits: quick ? 200 : 1_000,
    /** How many of them are decided (the others all time out at the same moment). */
    waitsDecided: quick ? 50 : 250,
    /** Long enough for 1,000 calls to be set up and 250 of them decided on a busy 2-core machine. */
    waitS: 20,
    /** Decisions go out at random moments in this window after all calls are held. */
    decideWindowS: 8,
    /**
     * Held waits for memory, at the largest size (taken before the held waits with decisions: the
     * quick run's largest size has about 500 pending, so it holds 200 to leave those theirs).
     */
    memoryWaits: quick ? 200 : 1_000,
    memoryHoldS: 3,
    /**
     * The pending working set the ticket list and the queue are measured with again at each size
     * (extra pending approvals on tickets of their own, removed afterwards); 0: not measured.
     * BENCH_WIDE_PENDING overrides it.
     */
    widePending: quick ? 10_000 : 50_000,
    /** Intake at the largest size: saturated with `intakeConnections`, then at `intakeRate` req/s. */
    intakeConnections: 16,
    intakeWarmupS: 1,
    intakeLoadS: quick ? 3 : 5,
    intakeRate: 50,
    intakeRateS: quick ? 3 : 5,
  };
}
export type BenchSettings = ReturnType<typeof benchSettings>;

export type RunningServer = { proc: Proc; url: string; port: number };

/** What the phases of one backend and size share. */
export type BenchContext = {
  settings: BenchSettings;
  backend: Backend;
  conn: Connection;
  account: CreatedAccount;
  seed: SeedState;
  size: number;
  receiver: Receiver;
  /** Gateway A (production mode): reads, lists, held calls, in-process decisions, intake. */
  gatewayA: RunningServer | null;
  /** Gateway B (development mode, for the receiver's allowlist): cross-process decisions and callbacks. */
  gatewayB: RunningServer | null;
  baseline: RunningServer | null;
  log: (line: string) => void;
};

/** Replaces the database name in a MongoDB connection string. */
export function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * Spawns the real gateway (`node --import tsx server/src/main.ts`, as `npm start` runs it) on a free
 * port against `uri` and waits for /readyz. Production mode unless `env` says otherwise.
 */
const run = promisify(execFile);
let compiled: Promise<void> | null = null;

/** Builds server/dist once per run (scripts/build-server.mjs, as `npm install` and `npm start` do). */
function ensureCompiledGateway(): Promise<void> {
  const build =
    compiled ?? run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-server.mjs')], { cwd: REPO_ROOT });
  compiled = build.then(() => undefined);
  return compiled;
}

export async function startGatewayProcess(
  name: string,
  uri: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const port = await freePort();
  // The default start: `npm start` runs the compiled gateway (server/dist/main.js) with plain node.
  await ensureCompiledGateway();
  const proc = spawnNode(name, ['server/dist/main.js'], {
    MONGODB_URI: uri,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // The per-key rate limit is off: the benchmarks send far more than one key's share on purpose.
    CHEQPOINT_RATE_LIMIT_PER_SECOND: '0',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, `${url}/readyz`);
  return { proc, url, port };
}

/** Spawns the bare Express + mongoose baseline (bench/baseline-server.ts). */
export async function startBaselineProcess(uri: string): Promise<RunningServer> {
  const port = await freePort();
  const proc = spawnTs('baseline', 'bench/baseline-server.ts', { MONGODB_URI: uri, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(proc, `${url}/readyz`);
  return { proc, url, port };
}

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Connection } from 'mongoose';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { freePort } from '../../server/src/db/embedded-ferretdb.js';
import { spawnNode, spawnTs, waitReady, type Proc } from './procs.js';

const run = promisify(execFile);

/** Sizes and durations; BENCH_QUICK=1 shortens everything for a trial run. */
export function benchSettings(quick: boolean, isFerretdb: boolean) {
  return {
    quick,
    /** Seconds of each saturating autocannon run, and of the warm-up before each pair. */
    loadS: quick ? 3 : 5,
    warmupS: 1,
    /** Seconds of each fixed-rate run. */
    rateS: quick ? 3 : 5,
    rate: 200,
    connections: 10,
    /** Approvals seeded for the status reads (the first rows of the collection). */
    statusApprovals: 1_000,
    /** Calls held at once, and over how many of those approvals (FerretDB v1: few, see held-waits.ts). */
    waits: 1_000,
    waitApprovals: isFerretdb ? 50 : 1_000,
    /** /healthz probe length (idle, then with the waits held). */
    probeS: 2,
    decision: { samples: 200, timeS: quick ? 8 : 12, concurrency: 2 },
    cross: { samples: 100, timeS: quick ? 10 : 15, concurrency: 4 },
    deliveries: isFerretdb ? 200 : 1_000,
    deliveryTimeS: 25,
    listApprovals: quick ? 20_000 : 100_000,
    listTickets: quick ? 1_000 : 5_000,
    /** No new list call starts after this many seconds (one call is always made). */
    listTimeS: quick ? 5 : 15,
    /** Time kept for stopping and reporting after the list (its optional extras run only if more is left). */
    reserveAfterListS: 10,
  };
}
export type BenchSettings = ReturnType<typeof benchSettings>;

export type RunningServer = { proc: Proc; url: string; port: number };

export type BenchContext = {
  settings: BenchSettings;
  /** `mongodb://host:port/<dbName>` for a database name (keeps the query string of MONGODB_URI). */
  uriFor: (dbName: string) => string;
  dbName: string;
  conn: Connection;
  ferretdbPid: number | null;
  gateway: RunningServer;
  baseline: RunningServer;
  account: CreatedAccount;
  log: (line: string) => void;
  /** Milliseconds left before the run's hard time limit. */
  timeLeftMs: () => number;
};

/** Replaces the database name in a MongoDB connection string. */
export function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * Spawns the real gateway (`server/src/main.ts`) on a free port against `uri` and waits for /readyz.
 * Production mode unless `env` says otherwise.
 */
export async function startGatewayProcess(
  name: string,
  uri: string,
  env: Record<string, string> = {},
  /** A compiled bundle of the gateway to run with plain `node` instead of the TypeScript sources. */
  bundle?: string,
  /** Flags for node itself (V8 options such as --optimize-for-size). */
  nodeFlags: string[] = [],
): Promise<RunningServer> {
  const port = await freePort();
  const args = [...nodeFlags, ...(bundle ? [bundle] : ['--import', 'tsx', 'server/src/main.ts'])];
  const proc = spawnNode(name, args, {
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

/**
 * Compiles the gateway into one ES module with esbuild (which tsx brings), dependencies left to
 * node_modules, at bench/results/gateway.bundle.mjs (two levels below the root, like server/src, so
 * its REPO_ROOT is right). Null when esbuild is not there.
 */
export async function bundleGateway(): Promise<string | null> {
  const esbuild = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return null;
  const out = path.join(REPO_ROOT, 'bench', 'results', 'gateway.bundle.mjs');
  // Every dependency of the workspaces stays external (resolved from node_modules); only our own code is bundled.
  const external = ['server', 'shared'].flatMap((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    return Object.keys(pkg.dependencies ?? {}).filter((name) => !name.startsWith('@cheqpoint/'));
  });
  await run(
    esbuild,
    [
      'server/src/main.ts',
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--log-level=error',
      `--outfile=${out}`,
      ...external.map((e) => `--external:${e}`),
    ],
    { cwd: REPO_ROOT, timeout: 60_000 },
  );
  return out;
}

import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../server/src/config.js';
import {
  ensureFerretdbBinary,
  FERRETDB_VERSION,
  freePort,
  startFerretdb,
  type EmbeddedDatabase,
} from '../../server/src/db/embedded-ferretdb.js';
import { postgresBackendPids } from './cpu.js';
import { childPids, killOnExit } from './procs.js';

const run = promisify(execFile);

export const BACKENDS = ['sqlite', 'postgresql'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** One FerretDB started by the benchmarks, on SQLite (throw-away folder) or PostgreSQL (throw-away database). */
export type Backend = {
  name: BackendName;
  label: string;
  /** mongodb://127.0.0.1:<port>/ (no database name). */
  uri: string;
  ferretdbPid: number | null;
  /** The PostgreSQL database created for this run (dropped by `stop`). */
  pgDatabase: string | null;
  /** PostgreSQL backends serving that database (empty on SQLite). */
  postgresPids: () => number[];
  versions: Record<string, string>;
  stop: () => Promise<void>;
};

export type PostgresTarget = { host: string; port: string; user: string };

export function postgresTarget(): PostgresTarget {
  const url = new URL(process.env['BENCH_POSTGRESQL_URL'] || 'postgres://postgres@127.0.0.1:5432/');
  return { host: url.hostname, port: url.port || '5432', user: decodeURIComponent(url.username || 'postgres') };
}

const pgArgs = (pg: PostgresTarget) => ['-h', pg.host, '-p', pg.port, '-U', pg.user];

/** PostgreSQL's version, or null when it cannot be reached (psql missing or the server down). */
export async function postgresVersion(pg: PostgresTarget): Promise<string | null> {
  try {
    const { stdout } = await run('psql', [...pgArgs(pg), '-d', 'postgres', '-Atc', 'SHOW server_version'], {
      timeout: 10_000,
    });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** The SQLite library FerretDB was built with (from the Go build info of its binary), when Go can tell. */
async function sqliteModuleVersion(bin: string): Promise<string | null> {
  try {
    const { stdout } = await run('go', ['version', '-m', bin], { timeout: 10_000 });
    const line = stdout.split('\n').find((l) => /\bmodernc\.org\/sqlite\s/.test(l));
    return line ? `modernc.org/sqlite ${line.trim().split(/\s+/)[2] ?? ''}`.trim() : null;
  } catch {
    return null;
  }
}

/** Dropped when a run is stopped early (Ctrl-C, failure): every PostgreSQL database created so far. */
const createdPgDatabases = new Set<string>();

export async function dropPgDatabase(pg: PostgresTarget, name: string) {
  await run('dropdb', [...pgArgs(pg), '--if-exists', '--force', name], { timeout: 30_000 }).catch(() => {});
  createdPgDatabases.delete(name);
}

/** FerretDB data folders not removed yet. */
const liveDataDirs = new Set<string>();

/** The same, synchronously, and the data folders too (on exit, when the run is stopped the hard way). */
export function dropLeftoverPgDatabasesSync(pg: PostgresTarget) {
  for (const dir of liveDataDirs) rmSync(dir, { recursive: true, force: true });
  liveDataDirs.clear();
  for (const name of [...createdPgDatabases]) {
    try {
      execFileSync('dropdb', [...pgArgs(pg), '--if-exists', '--force', name], { timeout: 15_000, stdio: 'ignore' });
    } catch {
      // reported by nobody: the process is exiting
    }
    createdPgDatabases.delete(name);
  }
}

export async function dropLeftoverPgDatabases(pg: PostgresTarget) {
  for (const name of [...createdPgDatabases]) await dropPgDatabase(pg, name);
}

/** Starts FerretDB on the backend (creating the PostgreSQL database first); `stop` ends and removes it all. */
export async function openBackend(name: BackendName, log: (line: string) => void): Promise<Backend> {
  const bin = await ensureFerretdbBinary(path.join(REPO_ROOT, '.tools'), log);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-bench-db-'));
  liveDataDirs.add(dataDir);
  const before = new Set(childPids('ferretdb'));
  const versions: Record<string, string> = { FerretDB: FERRETDB_VERSION };
  let pgDatabase: string | null = null;
  const pg = postgresTarget();
  let db: EmbeddedDatabase;
  try {
    if (name === 'postgresql') {
      const version = await postgresVersion(pg);
      if (!version)
        throw new Error(`PostgreSQL at ${pg.host}:${pg.port} (user ${pg.user}) cannot be reached with psql`);
      versions['PostgreSQL'] = version;
      pgDatabase = `cheqpoint_bench_${randomBytes(4).toString('hex')}`;
      await run('createdb', [...pgArgs(pg), pgDatabase], { timeout: 30_000 });
      createdPgDatabases.add(pgDatabase);
    } else {
      versions['SQLite'] = (await sqliteModuleVersion(bin)) ?? 'built into FerretDB (modernc.org/sqlite)';
    }
    db = await startFerretdb({
      bin,
      port: await freePort(),
      dataDir,
      handler: name,
      ...(pgDatabase ? { postgresqlUrl: `postgres://${pg.user}@${pg.host}:${pg.port}/${pgDatabase}` } : {}),
    });
  } catch (err) {
    if (pgDatabase) await dropPgDatabase(pg, pgDatabase);
    rmSync(dataDir, { recursive: true, force: true });
    liveDataDirs.delete(dataDir);
    throw err;
  }
  const ferretdbPid = childPids('ferretdb').find((pid) => !before.has(pid)) ?? null;
  if (ferretdbPid) killOnExit(ferretdbPid);
  const label =
    name === 'postgresql'
      ? `FerretDB ${FERRETDB_VERSION} on PostgreSQL ${versions['PostgreSQL']} (${pg.host}:${pg.port}, database ${pgDatabase})`
      : `FerretDB ${FERRETDB_VERSION} on SQLite (throw-away folder)`;
  let stopped = false;
  return {
    name,
    label,
    uri: db.uri,
    ferretdbPid,
    pgDatabase,
    postgresPids: () => (pgDatabase ? postgresBackendPids(pgDatabase) : []),
    versions,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await db.stop();
      if (pgDatabase) await dropPgDatabase(pg, pgDatabase);
      rmSync(dataDir, { recursive: true, force: true });
      liveDataDirs.delete(dataDir);
    },
  };
}

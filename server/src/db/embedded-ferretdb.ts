import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureFerretdbBinary } from './ferretdb-build.js';
import { EmbeddedDatabaseError } from './ferretdb-errors.js';
import {
  type EmbeddedState,
  ferretdbRef,
  LOG_FILE,
  lockFolder,
  readState,
  STATE_FILE,
  stopIfUnused,
  USERS_DIR,
  writeState,
} from './embedded-folder.js';
import { isProcessAlive, processStartTime, terminate, thisProcess, type ProcessRef } from './ferretdb-processes.js';
import { spawnWatchdog } from './ferretdb-watchdog.js';

export { applyPatches, ensureFerretdbBinary, FERRETDB_UPSTREAM_VERSION, FERRETDB_VERSION } from './ferretdb-build.js';
export { EmbeddedDatabaseError } from './ferretdb-errors.js';

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type EmbeddedDatabase = {
  uri: string;
  /**
   * True when this process holds a share of the FerretDB and calls `stop()` when done: it started it, or
   * it uses the one a Cheqpoint process started for the same data folder. `stop()` then stops FerretDB
   * only if no other live process still uses it. False: nothing of ours to stop.
   */
  isOwned: boolean;
  /** True when this call started the FerretDB process. */
  isStarted: boolean;
  stop: () => Promise<void>;
};

export type StartOptions = {
  bin: string;
  port: number;
  dataDir: string;
  /** `sqlite` (default) or `postgresql`. */
  handler?: 'sqlite' | 'postgresql';
  postgresqlUrl?: string;
  startTimeoutMs?: number;
};

function ferretdbArgs(options: Pick<StartOptions, 'port' | 'dataDir' | 'handler' | 'postgresqlUrl'>): string[] {
  const { port, dataDir, handler = 'sqlite' } = options;
  const args = [`-listen-addr=127.0.0.1:${port}`, `-handler=${handler}`, '-log-level=error'];
  if (handler === 'sqlite') args.push(`-sqlite-url=file:${dataDir.replace(/\/?$/, '/')}`);
  else args.push(`-postgresql-url=${options.postgresqlUrl ?? ''}`);
  return args;
}

/**
 * Starts FerretDB as a child of this process on 127.0.0.1:port and waits until it accepts connections;
 * `stop()` ends it. For throw-away databases (tests, bench); the gateway uses openEmbeddedDatabase.
 */
export async function startFerretdb(options: StartOptions): Promise<EmbeddedDatabase> {
  const { bin, port, dataDir, startTimeoutMs = 30_000 } = options;
  mkdirSync(dataDir, { recursive: true });
  const child: ChildProcess = spawn(bin, ferretdbArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const deadline = Date.now() + startTimeoutMs;
  while (!(await isPortOpen(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new EmbeddedDatabaseError(`FerretDB did not start on 127.0.0.1:${port}.\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  };
  return { uri: `mongodb://127.0.0.1:${port}/`, isOwned: true, isStarted: true, stop };
}

// --- The embedded database shared by the gateways and CLI commands of one data folder ---------------
//
// <dataDir>/ferretdb/ holds FerretDB's SQLite files (it reads only *.sqlite there) and:
//   embedded.json   which FerretDB serves the folder: {pid, startTime, port, instanceId, startedAt,
//                   watchdog}
//   embedded.lock   held (file created with `wx`) while a process starts, adopts or stops FerretDB
//   users/          one file per process using it; the last one to leave stops FerretDB
//   ferretdb.log    FerretDB's output (it runs detached, in its own process group), and its watchdog's
// A watchdog process (ferretdb-watchdog.ts, detached too) stops FerretDB when every registered process
// has died without leaving (SIGKILL): one runs per FerretDB, started with it or by the next adopter.
// and in database `cheqpoint`, collection `cheqpoint_embedded` (a collection of its own, read by _id
// only), the marker {_id: 'embedded-database', instanceId, dataDir}, rewritten at every start: a FerretDB
// answering on the port with the instanceId of embedded.json and this folder's path is the one serving
// this folder; anything else is not used.

const MARKER_DB = 'cheqpoint';
const MARKER_COLLECTION = 'cheqpoint_embedded';
const MARKER_ID = 'embedded-database';
const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

type Marker = { _id: string; instanceId: string; dataDir: string; writtenAt: Date };

export type OpenOptions = {
  toolsDir: string;
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  startTimeoutMs?: number;
};

/**
 * The gateway's default database: FerretDB (SQLite) on 127.0.0.1:port with its files under
 * `<dataDir>/ferretdb`, shared by every gateway and CLI command of that data folder. Uses the FerretDB
 * already serving this folder on the port, else starts one, detached, so that it outlives this process
 * (and Ctrl-C of the terminal); refuses a port where anything else listens. Call `stop()` when done.
 */
export async function openEmbeddedDatabase(options: OpenOptions): Promise<EmbeddedDatabase> {
  const { port, log = (l: string) => process.stderr.write(`${l}\n`) } = options;
  const dbDir = path.join(path.resolve(options.dataDir), 'ferretdb');
  mkdirSync(path.join(dbDir, USERS_DIR), { recursive: true });
  const folder = realpathSync(dbDir);
  const uri = `mongodb://127.0.0.1:${port}/`;

  // Build first, outside the lock: a first build takes minutes, the lock only guards starts and stops.
  let bin = (await isPortOpen(port)) ? null : await ensureFerretdbBinary(options.toolsDir, log);

  const release = await lockFolder(folder, log);
  try {
    const state = readState(folder);
    if (await isPortOpen(port)) {
      const problem = await whyNotOurs(uri, folder, state);
      if (problem) throw foreignDatabaseError(port, options.dataDir, problem);
      const isManaged = state !== null && state.port === port && isProcessAlive(ferretdbRef(state));
      // One started by a version without the watchdog, or whose watchdog was killed: watch it from now on.
      if (isManaged && !isProcessAlive(state.watchdog)) {
        writeState(folder, { ...state, watchdog: spawnWatchdog(folder, ferretdbRef(state)!) });
      }
      return share(folder, uri, { isOwned: isManaged, isStarted: false, port });
    }

    // Nothing listens on the port. A FerretDB of ours still running elsewhere uses these same files.
    if (state && isProcessAlive(ferretdbRef(state))) {
      if (state.port !== port) {
        throw new EmbeddedDatabaseError(
          [
            `The embedded database of ${options.dataDir} is already running on port ${state.port} (pid ${state.pid}),`,
            `not on port ${port} (CHEQPOINT_EMBEDDED_DB_PORT). Two database processes must not share one data folder.`,
            `Fix: set CHEQPOINT_EMBEDDED_DB_PORT=${state.port}, or stop the gateways using port ${state.port} first.`,
          ].join('\n'),
        );
      }
      // Ours, on this port, but not accepting connections: hung or on its way out. End it first.
      await terminate(ferretdbRef(state));
    }
    bin ??= await ensureFerretdbBinary(options.toolsDir, log);
    const ref = await spawnDetached(bin, port, folder, options.startTimeoutMs ?? 30_000);
    try {
      const instanceId = randomBytes(12).toString('hex');
      await writeMarker(uri, { _id: MARKER_ID, instanceId, dataDir: folder, writtenAt: new Date() });
      writeState(folder, {
        pid: ref.pid,
        startTime: ref.startTime ?? null,
        port,
        instanceId,
        startedAt: new Date().toISOString(),
        watchdog: spawnWatchdog(folder, ref),
      });
    } catch (err) {
      await terminate(ref);
      throw err;
    }
    return share(folder, uri, { isOwned: true, isStarted: true, port });
  } finally {
    release();
  }
}

/**
 * Registers this process as a user of the folder's FerretDB (removed again at exit, whatever the exit)
 * and returns its handle.
 */
function share(
  folder: string,
  uri: string,
  { isOwned, isStarted, port }: { isOwned: boolean; isStarted: boolean; port: number },
): EmbeddedDatabase {
  const file = path.join(folder, USERS_DIR, `${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify({ ...thisProcess(), port, since: new Date().toISOString() }));
  const unregister = () => rmSync(file, { force: true });
  process.once('exit', unregister);
  let isStopped = false;
  const stop = async () => {
    if (isStopped) return;
    isStopped = true;
    process.off('exit', unregister);
    const release = await lockFolder(folder, () => {}).catch(() => null);
    try {
      unregister();
      if (!isOwned || !release) return;
      await stopIfUnused(folder, (state) => state.port === port);
    } finally {
      release?.();
    }
  };
  return { uri, isOwned, isStarted, stop };
}

/** Why the database answering on the port is not this folder's FerretDB, or null when it is. */
async function whyNotOurs(uri: string, folder: string, state: EmbeddedState | null): Promise<string | null> {
  let marker: Marker | null;
  try {
    marker = await withClient(uri, (client) =>
      client.db(MARKER_DB).collection<Marker>(MARKER_COLLECTION).findOne({ _id: MARKER_ID }),
    );
  } catch (err) {
    return `it does not answer as MongoDB/FerretDB (${(err as Error).message})`;
  }
  if (!marker) return 'it carries no marker of a Cheqpoint embedded database';
  if (marker.dataDir !== folder) return `it is the embedded database of another data folder (${marker.dataDir})`;
  if (!state || marker.instanceId !== state.instanceId) {
    return `its marker does not match the record in ${path.join(folder, STATE_FILE)}`;
  }
  return null;
}

function foreignDatabaseError(port: number, dataDir: string, problem: string): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(
    [
      `Port 127.0.0.1:${port} (CHEQPOINT_EMBEDDED_DB_PORT) is taken by a database that is not the embedded`,
      `database of the data folder ${dataDir} (CHEQPOINT_DATA_DIR): ${problem}.`,
      'Cheqpoint does not use it, so as not to mix up the data of two folders.',
      `Fix: set CHEQPOINT_EMBEDDED_DB_PORT to a free port for this data folder (e.g. CHEQPOINT_EMBEDDED_DB_PORT=${port + 1}),`,
      'or CHEQPOINT_DATA_DIR to the folder that database belongs to, or MONGODB_URI to use it as your own MongoDB.',
      'If it is the embedded database of an older Cheqpoint gateway on this folder, stop that gateway and start again.',
    ].join('\n'),
  );
}

async function withClient<T>(uri: string, use: (client: mongoose.mongo.MongoClient) => Promise<T>): Promise<T> {
  const client = new mongoose.mongo.MongoClient(uri, {
    directConnection: true,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    socketTimeoutMS: 10_000,
  });
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.close().catch(() => {});
  }
}

async function writeMarker(uri: string, marker: Marker): Promise<void> {
  await withClient(uri, (client) =>
    client
      .db(MARKER_DB)
      .collection<Marker>(MARKER_COLLECTION)
      .replaceOne({ _id: marker._id }, marker, { upsert: true }),
  );
}

/**
 * Starts FerretDB in its own process group (`detached`: a Ctrl-C of the terminal that started this
 * gateway does not reach it), output to ferretdb.log, and waits until it accepts connections.
 */
async function spawnDetached(bin: string, port: number, folder: string, timeoutMs: number): Promise<ProcessRef> {
  const logFile = path.join(folder, LOG_FILE);
  try {
    if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`);
  } catch {
    /* no log yet */
  }
  const logFd = openSync(logFile, 'a');
  const logStart = statSync(logFile).size;
  let child: ChildProcess;
  try {
    writeFileSync(
      logFd,
      `--- ${new Date().toISOString()} starting FerretDB on 127.0.0.1:${port} (pid ${process.pid})\n`,
    );
    child = spawn(bin, ferretdbArgs({ port, dataDir: folder }), { detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  child.unref();
  let hasExited = false;
  child.once('exit', () => (hasExited = true));
  child.once('error', () => (hasExited = true));
  const ref: ProcessRef = { pid: child.pid ?? -1, startTime: child.pid ? processStartTime(child.pid) : null };

  const deadline = Date.now() + timeoutMs;
  while (!(await isPortOpen(port))) {
    if (hasExited || Date.now() > deadline) {
      if (!hasExited) await terminate(ref, 0);
      throw new EmbeddedDatabaseError(
        `FerretDB did not start on 127.0.0.1:${port} (its log: ${logFile}).\n${readTail(logFile, logStart)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return ref;
}

function readTail(file: string, from: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const start = Math.max(from, size - 4000);
      const buf = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buf, 0, buf.length, start);
      return buf.toString();
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

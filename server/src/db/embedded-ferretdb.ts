import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../config.js';

/** FerretDB release the embedded database is built from (see tools/ferretdb/go.mod). */
export const FERRETDB_VERSION = 'v1.24.2';
const SOURCE_DIR = path.join(REPO_ROOT, 'tools', 'ferretdb');

export class EmbeddedDatabaseError extends Error {}

const run = promisify(execFile);

/** Path of the FerretDB binary, building it with Go the first time. */
export async function ensureFerretdbBinary(
  toolsDir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const bin = path.join(toolsDir, `ferretdb-${FERRETDB_VERSION}`);
  if (existsSync(bin)) return bin;
  try {
    await run('go', ['version'], { timeout: 10_000 });
  } catch {
    throw new EmbeddedDatabaseError(
      [
        `The embedded database (FerretDB ${FERRETDB_VERSION}) is not built yet, and Go is not installed to build it.`,
        'Two ways out:',
        '  1. Point the gateway at your own MongoDB 6+: MONGODB_URI=mongodb://host:27017/cheqpoint npm start',
        '  2. Install Go (https://go.dev/dl/, 1.24 or newer) and run npm start again; the first start builds FerretDB once.',
      ].join('\n'),
    );
  }
  mkdirSync(toolsDir, { recursive: true });
  log(`Building FerretDB ${FERRETDB_VERSION} into ${toolsDir} (first run only, about a minute)…`);
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await run('go', ['build', '-trimpath', '-o', tmp, '.'], {
      cwd: SOURCE_DIR,
      timeout: 15 * 60_000,
      env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    renameSync(tmp, bin);
  } catch (err) {
    rmSync(tmp, { force: true });
    const detail = (err as { stderr?: string }).stderr ?? String(err);
    throw new EmbeddedDatabaseError(
      `Building FerretDB failed:\n${detail.slice(-4000)}\nSet MONGODB_URI to use your own MongoDB instead.`,
    );
  }
  log('FerretDB built.');
  return bin;
}

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
  /** True when this process started FerretDB (and so stops it). */
  isOwned: boolean;
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

/** Starts FerretDB on 127.0.0.1:port and waits until it accepts connections. */
export async function startFerretdb(options: StartOptions): Promise<EmbeddedDatabase> {
  const { bin, port, dataDir, handler = 'sqlite', startTimeoutMs = 30_000 } = options;
  mkdirSync(dataDir, { recursive: true });
  const args = [`-listen-addr=127.0.0.1:${port}`, `-handler=${handler}`, '-log-level=error'];
  if (handler === 'sqlite') args.push(`-sqlite-url=file:${dataDir.replace(/\/?$/, '/')}`);
  else args.push(`-postgresql-url=${options.postgresqlUrl ?? ''}`);

  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
  return { uri: `mongodb://127.0.0.1:${port}/`, isOwned: true, stop };
}

/**
 * The gateway's default database: FerretDB on a fixed local port with data under `dataDir`.
 * Reuses one already listening there (started by another gateway or the CLI), else starts it.
 */
export async function openEmbeddedDatabase(options: {
  toolsDir: string;
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  if (await isPortOpen(options.port)) {
    return { uri: `mongodb://127.0.0.1:${options.port}/`, isOwned: false, stop: async () => {} };
  }
  const bin = await ensureFerretdbBinary(options.toolsDir, options.log);
  return startFerretdb({ bin, port: options.port, dataDir: path.join(options.dataDir, 'ferretdb') });
}

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../server/src/config.js';
import { freePort } from '../../server/src/db/embedded-ferretdb.js';

const MAIN = path.join(REPO_ROOT, 'server', 'src', 'main.ts');

export type GatewayProcess = {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Everything it wrote to stdout and stderr. */
  output: () => string;
  /** SIGKILL if still running, and wait for the exit. */
  kill: () => Promise<void>;
};

/**
 * Runs the real entry point (`server/src/main.ts`) as one process (`node --import tsx`, so signals reach
 * the gateway itself, not a wrapper) on a free port, with only the environment given (plus PATH, HOME,
 * NODE_ENV=test and LOG_LEVEL=warn unless set).
 */
export async function spawnGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    exited,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls GET /readyz until 200; fails with the process output after `timeoutMs`. */
export async function waitForReady(gateway: GatewayProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${gateway.url}/readyz`).catch(() => null);
    if (res?.status === 200) return;
    if (gateway.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway at ${gateway.url} not ready within ${timeoutMs} ms:\n${gateway.output()}`);
}

/** Polls `probe` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * `npm run dev` start-up, spawned for real (npm → tsx → zendesk-app/harness/dev.ts → the gateway →
 * its embedded FerretDB), each run with its own PORT, CHEQPOINT_EMBEDDED_DB_PORT, CHEQPOINT_DATA_DIR
 * and harness ports, so it never meets a database or gateway anyone else is using.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/src/config.js';
import { freePort, isPortOpen } from '../../server/src/db/embedded-ferretdb.js';
import { until } from '../support/process.js';

const dataDirs: string[] = [];

/** The processes whose command line or environment names `dir`: everything a run on that data folder started. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(dir) || environ.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/**
 * `npm run dev` (or `tsx zendesk-app/harness/dev.ts` with `direct`) with only its own ports, data folder
 * and dev folder (keys, build), and `env`; in a process group of its own; output collected.
 */
async function startDev(env: Record<string, string>, { direct = false } = {}) {
  const dataDir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cqp-dev-')));
  dataDirs.push(dataDir);
  const ports = {
    gateway: await freePort(),
    db: await freePort(),
    harness: await freePort(),
    app: await freePort(),
  };
  const base = { ...process.env };
  for (const name of ['MONGODB_URI', 'PORT', 'CHEQPOINT_GATEWAY_URL', 'CHEQPOINT_DEV_UNVERIFIED']) delete base[name];
  const [command, args] = direct
    ? [path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['zendesk-app/harness/dev.ts']]
    : ['npm', ['run', 'dev']];
  const child: ChildProcess = spawn(command, args, {
    cwd: REPO_ROOT,
    detached: true,
    env: {
      ...base,
      NODE_ENV: 'development',
      CHEQPOINT_DATA_DIR: dataDir,
      CHEQPOINT_DEV_DIR: path.join(dataDir, 'dev'),
      CHEQPOINT_EMBEDDED_DB_PORT: String(ports.db),
      CHEQPOINT_HARNESS_PORT: String(ports.harness),
      CHEQPOINT_HARNESS_APP_PORT: String(ports.app),
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('<gateway>', String(ports.gateway))])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, dataDir, ports, exited, stdout: () => stdout, stderr: () => stderr };
}

afterAll(() => {
  for (const dir of dataDirs) {
    // a failed run may have left something behind: it was started by this file, on this folder only
    for (const pid of processesUsing(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
  ]);

describe('npm run dev start-up', () => {
  it('When CHEQPOINT_GATEWAY_URL and PORT name different ports, then it refuses at once with the fix, and starts nothing', async () => {
    const dev = await startDev({ PORT: '<gateway>', CHEQPOINT_GATEWAY_URL: 'http://127.0.0.1:1' });
    // "at once": well before the 10 minutes it used to wait (npm and tsx take a few seconds to start)
    const code = await within(dev.exited, 45_000, 'npm run dev to exit');
    expect(code).not.toBe(0);
    expect(dev.stderr()).toContain(`is on port 1 but PORT is ${dev.ports.gateway}`);
    expect(dev.stderr()).toContain(
      `Fix: leave CHEQPOINT_GATEWAY_URL unset (it follows PORT: http://127.0.0.1:${dev.ports.gateway})`,
    );
    expect(dev.stdout()).not.toContain('Starting the gateway');
    expect(existsSync(path.join(dev.dataDir, 'ferretdb'))).toBe(false);
    expect(await isPortOpen(dev.ports.gateway)).toBe(false);
  });

  /**
   * Signals it once the gateway's embedded FerretDB is up (the gateway is still starting, no demo data
   * yet), then waits until nothing runs on its data folder any more.
   */
  async function stopEarly(dev: Awaited<ReturnType<typeof startDev>>, signal: () => void) {
    const gatewayUrl = `http://127.0.0.1:${dev.ports.gateway}`;
    try {
      await until(() => dev.stdout().includes('Starting the gateway'), 'the gateway starting', 45_000);
      await until(() => isPortOpen(dev.ports.db, '127.0.0.1', 200), 'the embedded FerretDB', 60_000);
      expect(processesUsing(dev.dataDir).length).toBeGreaterThanOrEqual(2);
      signal();
      await within(dev.exited, 30_000, 'npm run dev to stop');
      await until(() => processesUsing(dev.dataDir).length === 0, 'every process on the data folder gone', 20_000);
      expect(await isPortOpen(dev.ports.db)).toBe(false);
      expect(await isPortOpen(dev.ports.gateway)).toBe(false);
      expect(dev.stderr()).not.toContain('npm run dev failed');
      // the URL followed PORT: the harness would have waited for the gateway where it listens
      expect(dev.stdout()).toContain(`Starting the gateway on ${gatewayUrl}`);
    } finally {
      try {
        process.kill(-(dev.child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone: nothing left to stop
      }
    }
  }

  it('When PORT alone is set and SIGTERM reaches npm run dev during start-up (its process group, as Ctrl-C or a service manager), then the gateway listens on PORT and everything started is gone', async () => {
    const dev = await startDev({ PORT: '<gateway>' });
    await stopEarly(dev, () => process.kill(-(dev.child.pid as number), 'SIGTERM'));
  });

  it('When SIGTERM reaches the dev process alone during start-up, then it stops the gateway it started and its FerretDB', async () => {
    const dev = await startDev({ PORT: '<gateway>' }, { direct: true });
    await stopEarly(dev, () => dev.child.kill('SIGTERM'));
    expect(await dev.exited).toBe(0);
  });

  it('When it starts fully, then the harness answers on its port, the app on CHEQPOINT_HARNESS_APP_PORT, the demo account is connected to the harness Zendesk, and SIGINT stops everything', async () => {
    const dev = await startDev({ PORT: '<gateway>' });
    try {
      await until(() => dev.stdout().includes('Ctrl-C to stop'), 'the harness ready', 240_000);
      const harnessUrl = `http://127.0.0.1:${dev.ports.harness}/`;
      expect(dev.stdout()).toContain(`Cheqpoint harness: ${harnessUrl}?ticket=9921`);
      expect(dev.stdout()).toContain(`in German:        ${harnessUrl}?ticket=9921&locale=de`);
      expect(dev.stdout()).toContain(`the app itself loads from http://127.0.0.1:${dev.ports.app}`);
      expect(dev.stdout()).toContain('Connected the demo account to the harness’s Zendesk API');
      const page = await fetch(`${harnessUrl}?ticket=9921&locale=de`).then((r) => r.text());
      expect(page).toContain(`"appOrigin":"http://127.0.0.1:${dev.ports.app}"`);
      expect(page).toContain('"locale":"de"');
      const app = await fetch(`http://127.0.0.1:${dev.ports.app}/assets/index.html`);
      expect(app.status).toBe(200);
      expect(existsSync(path.join(dev.dataDir, 'dev', 'dev-harness.json'))).toBe(true);
      process.kill(-(dev.child.pid as number), 'SIGINT');
      await within(dev.exited, 30_000, 'npm run dev to stop');
      await until(() => processesUsing(dev.dataDir).length === 0, 'every process on the data folder gone', 20_000);
    } finally {
      try {
        process.kill(-(dev.child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone: nothing left to stop
      }
    }
  }, 300_000);

  it('When the app origin port is taken, then it stops with the variable to change, and nothing it started keeps running', async () => {
    const dev = await startDev({ PORT: '<gateway>' });
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(dev.ports.app, '127.0.0.1', () => resolve()));
    try {
      expect(await within(dev.exited, 240_000, 'npm run dev to give up')).not.toBe(0);
      expect(dev.stderr()).toContain(
        `npm run dev failed: port ${dev.ports.app} is in use: set CHEQPOINT_HARNESS_APP_PORT to a free port`,
      );
      await until(() => processesUsing(dev.dataDir).length === 0, 'every process on the data folder gone', 20_000);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      try {
        process.kill(-(dev.child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone: nothing left to stop
      }
    }
  }, 300_000);
});

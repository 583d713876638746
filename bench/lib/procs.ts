import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../../server/src/config.js';
import { request } from './http.js';

/** A child process the benchmarks started, in its own process group (so its own children go with it). */
export type Proc = {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Last lines it wrote (for error messages). */
  tail: () => string;
  hasExited: () => boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop: (graceMs?: number) => Promise<void>;
};

const live = new Set<Proc>();
/** Other processes this run started (FerretDB), killed on exit if still there. */
const others = new Set<number>();

/** Kills `pid` on exit if the run ends without stopping it (e.g. the last-resort exit). */
export function killOnExit(pid: number) {
  others.add(pid);
}

/** Kills every process group still alive, synchronously (last resort on exit). */
function killAllNow() {
  for (const proc of live) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const pid of others) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  others.clear();
}

let isInstalled = false;
/** On Ctrl-C, SIGTERM or a crash: stop every process the benchmarks started, then exit. */
export function installCleanup(onSignal: () => Promise<void>) {
  if (isInstalled) return;
  isInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the processes the benchmarks started…\n`);
      const force = setTimeout(() => process.exit(130), 10_000);
      void onSignal().finally(() => {
        clearTimeout(force);
        process.exit(130);
      });
    });
  }
}

/**
 * Runs a TypeScript entry point as `node --import tsx <script>` (what the `tsx` command runs, without
 * its wrapper process, so `pid` is the server itself and its RSS is the server's).
 */
export function spawnTs(name: string, script: string, env: Record<string, string>): Proc {
  return spawnNode(name, ['--import', 'tsx', script], env);
}

/** Runs `node <args>` from the repository root in its own process group. */
export function spawnNode(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      live.delete(proc);
      resolve();
    }),
  );
  const pid = child.pid;
  const proc: Proc = {
    name,
    pid,
    child,
    tail: () => tail,
    hasExited: () => exited,
    stop: async (graceMs = 8_000) => {
      if (exited) return;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }, graceMs);
      await exit;
      clearTimeout(timer);
      // Anything left in its group (e.g. the esbuild service tsx starts).
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // group empty
      }
    },
  };
  live.add(proc);
  return proc;
}

/** Stops every live process the benchmarks started. */
export async function stopAll() {
  await Promise.all([...live].map((p) => p.stop()));
}

/** Polls `url` until it answers 200 (bounded by `timeoutMs`); fails early if the process exits. */
export async function waitReady(proc: Proc, url: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.hasExited()) throw new Error(`${proc.name} exited during start:\n${proc.tail()}`);
    const res = await request(url, { timeoutMs: 2_000 }).catch(() => null);
    if (res?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms:\n${proc.tail()}`);
}

/** Resident memory now and at its peak, in MB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Child processes of this process whose command name starts with `prefix` (e.g. the FerretDB we started). */
export function childPids(prefix: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(path.join('/proc', entry, 'stat'), 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.startsWith(prefix)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/**
 * Waits until the given processes use less than `threshold` of one core over a 500 ms window (the
 * work just sent has been handled); bounded by `timeoutMs`. Returns the time waited in ms.
 */
export async function waitQuiet(pids: number[], timeoutMs: number, threshold = 0.1): Promise<number> {
  const started = Date.now();
  const total = () => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  let before = total();
  while (Date.now() - started < timeoutMs) {
    await sleep(500);
    const now = total();
    if (now - before < 0.5 * threshold) break;
    before = now;
  }
  return Date.now() - started;
}

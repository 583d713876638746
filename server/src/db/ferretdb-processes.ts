import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';

/** A process as recorded in a file: its pid and, where the OS tells (Linux), when it started. */
export type ProcessRef = { pid: number; startTime?: string | null };

/**
 * When process `pid` started, as an opaque string (Linux: field 22 of /proc/<pid>/stat, in clock ticks
 * since boot), or null where the OS does not tell. Tells a recorded process from a later one that got
 * its pid back.
 */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** Fields of /proc/<pid>/stat after "pid (comm)": [0] is the state, [19] the start time; null off Linux. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses, so split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** This process, for the files that record it. */
export const thisProcess = (): ProcessRef => ({ pid: process.pid, startTime: processStartTime(process.pid) });

/** True while the recorded process runs (and, where start times are known, is the same process). */
export function isProcessAlive(ref: ProcessRef | null | undefined): boolean {
  if (!ref || !Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  try {
    process.kill(ref.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(ref.pid);
  if (stat?.[0] === 'Z') return false; // exited, not yet reaped by its parent
  if (!ref.startTime || !stat) return true;
  return stat[19] === ref.startTime;
}

/** Parsed JSON of a file, or null when it is missing or not JSON (half written, hand edited). */
export function readJsonFile<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Writes JSON through a temporary file and a rename, so readers see the old or the new file, never half. */
export function writeJsonFileAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function terminate(ref: ProcessRef | null, graceMs = 5_000): Promise<void> {
  if (!ref || !isProcessAlive(ref)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(ref.pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const killAt = Date.now() + graceMs;
  let isKilled = graceMs <= 0;
  const giveUpAt = killAt + 2_000;
  while (isProcessAlive(ref) && Date.now() < giveUpAt) {
    if (!isKilled && Date.now() >= killAt) {
      signal('SIGKILL');
      isKilled = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

type LockContent = ProcessRef & { nonce: string; at: number };

export type LockOptions = {
  /** Give up waiting after this long (the holder is alive and keeps it). */
  timeoutMs: number;
  /** A lock held longer than this is taken over even if its pid runs (a pid reused, a hung holder). */
  staleAfterMs: number;
  /** Called once when the lock is held by another live process, before waiting. */
  onWait?: (holder: ProcessRef) => void;
  /** Message of the error thrown on timeout. */
  timeoutMessage?: string;
};

/**
 * An exclusive lock across processes: a file created with `wx` holding the holder's pid, start time and a
 * nonce. A lock whose holder died (or that is older than `staleAfterMs`) is taken over: it is renamed
 * away first and checked to be the same stale lock, so two processes recovering at once do not both
 * win. Resolves with the release function.
 */
export async function acquireLock(file: string, options: LockOptions): Promise<() => void> {
  const deadline = Date.now() + options.timeoutMs;
  let hasWaited = false;
  for (;;) {
    const mine: LockContent = { ...thisProcess(), nonce: randomBytes(8).toString('hex'), at: Date.now() };
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify(mine));
      } finally {
        closeSync(fd);
      }
      return () => {
        if (readJsonFile<LockContent>(file)?.nonce === mine.nonce) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readJsonFile<LockContent>(file);
    // Unreadable: the holder is between creating and writing it; wait (a leftover empty file goes stale by age).
    const isStale = held
      ? !isProcessAlive(held) || Date.now() - held.at > options.staleAfterMs
      : olderThan(file, options.staleAfterMs);
    if (isStale) {
      const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        renameSync(file, aside);
        const taken = readJsonFile<LockContent>(aside);
        if (held && taken?.nonce !== held.nonce) {
          // Someone else recovered the stale lock and took it between our read and our rename: give it
          // back (link, not rename: never over a lock file made meanwhile).
          try {
            linkSync(aside, file);
          } catch {
            /* a lock file is there again already */
          }
        }
        rmSync(aside, { force: true });
      } catch {
        /* gone meanwhile: try again */
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(options.timeoutMessage ?? `Timed out waiting for the lock ${file} (held by pid ${held?.pid})`);
    }
    if (!hasWaited && held) options.onWait?.(held);
    hasWaited = true;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

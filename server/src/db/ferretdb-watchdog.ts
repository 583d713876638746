import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../paths.js';
import { LOG_FILE, liveUsers, lockFolder, readState, stopIfUnused } from './embedded-folder.js';
import { isProcessAlive, processStartTime, type ProcessRef } from './ferretdb-processes.js';

/** How often the watchdog looks for a live user of the database. */
export const WATCHDOG_INTERVAL_MS = 5_000;

/**
 * The command that runs the watchdog: the compiled server/dist/ferretdb-watchdog.js next to the
 * bundle this code was compiled into (`npm start`), or its TypeScript entry through tsx (tsx, tests).
 */
function watchdogCommand(): string[] | null {
  const here = import.meta.url;
  const script = here.endsWith('.ts')
    ? fileURLToPath(new URL('./ferretdb-watchdog.main.ts', here))
    : fileURLToPath(new URL('./ferretdb-watchdog.js', here));
  if (!existsSync(script)) return null;
  return here.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
}

/**
 * Starts the watchdog of the folder's FerretDB: a detached process (its own process group, like
 * FerretDB) that outlives whoever started it, and stops FerretDB once no process registered in the
 * folder is alive. Graceful stops already do that themselves; the watchdog covers the gateway killed
 * with SIGKILL, or by a supervisor after its grace period, which would otherwise leave FerretDB
 * running for ever, holding its port and memory. Returns null when it could not be started.
 */
export function spawnWatchdog(folder: string, ferretdb: ProcessRef): ProcessRef | null {
  const command = watchdogCommand();
  if (!command) return null;
  const logFd = openSync(path.join(folder, LOG_FILE), 'a');
  try {
    const args = [
      ...command,
      `--folder=${folder}`,
      `--pid=${ferretdb.pid}`,
      `--start-time=${ferretdb.startTime ?? ''}`,
    ];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', logFd, logFd] });
    child.once('error', () => {});
    child.unref();
    return child.pid ? { pid: child.pid, startTime: processStartTime(child.pid) } : null;
  } catch {
    return null;
  } finally {
    closeSync(logFd);
  }
}

/** True when the state file still names this FerretDB (not a newer one started since). */
function isWatched(folder: string, ferretdb: ProcessRef): boolean {
  const state = readState(folder);
  return state !== null && state.pid === ferretdb.pid && (state.startTime ?? null) === (ferretdb.startTime ?? null);
}

/**
 * The watchdog's loop: every `intervalMs`, ends when its FerretDB is gone or was replaced; when no
 * registered process is alive, takes the folder lock (which every start, adoption and stop holds, so a
 * gateway registering right now is either seen or finds FerretDB stopped and starts a new one) and
 * stops FerretDB. Resolves with why it ended.
 */
export async function watchFerretdb(options: {
  folder: string;
  ferretdb: ProcessRef;
  intervalMs?: number;
  log?: (line: string) => void;
}): Promise<'stopped' | 'gone' | 'replaced'> {
  const { folder, ferretdb, intervalMs = WATCHDOG_INTERVAL_MS } = options;
  const log =
    options.log ?? ((line: string) => writeFileSync(1, `--- ${new Date().toISOString()} watchdog: ${line}\n`));
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    if (!isProcessAlive(ferretdb)) return 'gone';
    try {
      if (!isWatched(folder, ferretdb)) return 'replaced';
      if (liveUsers(folder).length > 0) continue;
      // Short wait: a start or stop in progress holds the lock; look again next round.
      const release = await lockFolder(folder, () => {}, intervalMs).catch(() => null);
      if (!release) continue;
      try {
        if (!isWatched(folder, ferretdb)) return 'replaced';
        if (await stopIfUnused(folder, (state) => state.pid === ferretdb.pid)) {
          log(`no process uses the database any more; stopped FerretDB (pid ${ferretdb.pid})`);
          return 'stopped';
        }
      } finally {
        release();
      }
    } catch (err) {
      // The folder was removed (or made unreadable) under it: nothing left to watch for.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'replaced';
      throw err;
    }
  }
}

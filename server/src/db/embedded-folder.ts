import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  acquireLock,
  isProcessAlive,
  readJsonFile,
  terminate,
  writeJsonFileAtomic,
  type ProcessRef,
} from './ferretdb-processes.js';

// The files of <dataDir>/ferretdb/ that the gateways, CLI commands and the watchdog of one data folder
// share (see embedded-ferretdb.ts for the whole layout). Kept apart from the database client so the
// watchdog process loads no driver.

export const STATE_FILE = 'embedded.json';
export const LOCK_FILE = 'embedded.lock';
export const USERS_DIR = 'users';
export const LOG_FILE = 'ferretdb.log';

/** Which FerretDB serves the folder (embedded.json), and the watchdog that stops it once unused. */
export type EmbeddedState = {
  pid: number | null;
  startTime: string | null;
  port: number;
  instanceId: string;
  startedAt: string;
  /** Absent in folders written before the watchdog existed. */
  watchdog?: ProcessRef | null;
};

export const readState = (folder: string) => readJsonFile<EmbeddedState>(path.join(folder, STATE_FILE));
export const writeState = (folder: string, state: EmbeddedState) =>
  writeJsonFileAtomic(path.join(folder, STATE_FILE), state);

export const ferretdbRef = (state: EmbeddedState): ProcessRef | null =>
  state.pid ? { pid: state.pid, startTime: state.startTime } : null;

/** The lock every start, adoption and stop of the folder's FerretDB holds. */
export function lockFolder(folder: string, log: (line: string) => void, timeoutMs = 90_000) {
  return acquireLock(path.join(folder, LOCK_FILE), {
    // Held for a start (≤ its timeout plus the marker) or a stop (≤ 7 s).
    timeoutMs,
    staleAfterMs: 120_000,
    onWait: (holder) => log(`Waiting for process ${holder.pid}, which is starting or stopping the embedded database…`),
    timeoutMessage: `Timed out waiting for another process to start or stop the embedded database in ${folder}`,
  });
}

/** Registrations of live processes; those of dead ones are removed. */
export function liveUsers(folder: string): ProcessRef[] {
  const dir = path.join(folder, USERS_DIR);
  const live: ProcessRef[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const ref = readJsonFile<ProcessRef>(path.join(dir, name));
    if (ref && isProcessAlive(ref)) live.push(ref);
    else if (ref || isOlderThan(path.join(dir, name), 60_000)) rmSync(path.join(dir, name), { force: true });
  }
  return live;
}

function isOlderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * With the folder lock held: stops the folder's FerretDB when no live process is registered as using it
 * and `isThatOne(state)` confirms it is the one meant. Returns true when it stopped it.
 */
export async function stopIfUnused(folder: string, isThatOne: (state: EmbeddedState) => boolean): Promise<boolean> {
  if (liveUsers(folder).length > 0) return false; // another gateway or command still uses it
  const state = readState(folder);
  if (!state || !isThatOne(state) || !isProcessAlive(ferretdbRef(state))) return false;
  await terminate(ferretdbRef(state));
  writeState(folder, { ...state, pid: null, startTime: null });
  return true;
}

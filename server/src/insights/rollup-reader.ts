import type { Connection } from 'mongoose';
import { findByIds } from '../db/find-by-ids.js';
import { addCounters } from './counters.js';
import { decodeKey, rollupId, UPGRADE_WRITER } from './insight-keys.js';
import { isFinal, type ClosedDays, type DayCounters } from './closed-days.js';
import { insightModels, type ActionCounters, type RollupCounters } from './insight.model.js';

/** Writer slots read per day and round (a day has one per process that wrote on it). */
const SLOTS_PER_ROUND = 4;

/** An account's counters over some days: per day, per action (decoded), and the agents' names. */
export type Rollups = {
  days: Map<string, Map<string, ActionCounters>>;
  names: Map<string, string>;
};

/** Every writer of each day, by key: slots `<day>:1…`, a batch of `$in` reads until a day's slots end. */
async function writersOf(conn: Connection, days: readonly string[]): Promise<Map<string, string[]>> {
  const { InsightWriter } = insightModels(conn);
  const writers = new Map(days.map((day) => [day, [] as string[]]));
  let open = [...days];
  for (let from = 1; open.length > 0; from += SLOTS_PER_ROUND) {
    const ids = open.flatMap((day) => Array.from({ length: SLOTS_PER_ROUND }, (_, i) => `${day}:${from + i}`));
    const found = await findByIds(InsightWriter, ids);
    const stillOpen: string[] = [];
    for (const day of open) {
      for (let i = 0; i < SLOTS_PER_ROUND; i++) {
        const slot = found.get(`${day}:${from + i}`);
        if (slot) writers.get(day)?.push(slot.writer);
      }
      // Slots are claimed in order, so a day whose last slot of this round is taken may have more.
      if (found.has(`${day}:${from + SLOTS_PER_ROUND - 1}`)) stillOpen.push(day);
    }
    open = stillOpen;
  }
  return writers;
}

/** Each day's counters from the database: the writers of those days, then their documents (and the upgrade's) in one batch of `_id` lookups. */
async function readDays(
  conn: Connection,
  accountId: string,
  days: readonly string[],
): Promise<Map<string, DayCounters>> {
  const read = new Map<string, DayCounters>();
  if (days.length === 0) return read;
  const { InsightDay } = insightModels(conn);
  const writers = await writersOf(conn, days);
  const ids = days.flatMap((day) =>
    [UPGRADE_WRITER, ...(writers.get(day) ?? [])].map((writer) => rollupId(accountId, day, writer)),
  );
  const docs = await findByIds(InsightDay, ids);
  for (const day of days) {
    const counters: DayCounters = { actions: new Map(), names: new Map() };
    for (const writer of [UPGRADE_WRITER, ...(writers.get(day) ?? [])]) {
      const doc = docs.get(rollupId(accountId, day, writer));
      if (!doc) continue;
      const stored = JSON.parse(doc.json) as RollupCounters;
      for (const [key, counted] of Object.entries(stored.a ?? {})) {
        const action = decodeKey(key);
        const into = (counters.actions.get(action) ?? {}) as Record<string, unknown>;
        addCounters(into, counted as Record<string, unknown>);
        counters.actions.set(action, into as ActionCounters);
      }
      for (const [key, name] of Object.entries(stored.nm ?? {})) counters.names.set(decodeKey(key), name);
    }
    read.set(day, counters);
  }
  return read;
}

/**
 * An account's rollups of some days (oldest first): a few documents per day read by key, never a scan
 * of approvals. Finished days this process has read before come from `closed` (they cannot change);
 * the others are read, and the finished ones among them kept there.
 */
export async function readRollups(
  conn: Connection,
  accountId: string,
  days: readonly string[],
  closed?: { cache: ClosedDays; now: Date },
): Promise<Rollups> {
  const byDay = new Map<string, DayCounters>();
  const missing: string[] = [];
  for (const day of days) {
    const known = closed?.cache.get(accountId, day);
    if (known) byDay.set(day, known);
    else missing.push(day);
  }
  for (const [day, counters] of await readDays(conn, accountId, missing)) {
    byDay.set(day, counters);
    if (closed && isFinal(day, closed.now)) closed.cache.put(accountId, day, counters);
  }
  const rollups: Rollups = { days: new Map(), names: new Map() };
  // Oldest day first, so the name an agent last decided under wins.
  for (const day of days) {
    const counters = byDay.get(day);
    if (!counters) continue;
    rollups.days.set(day, counters.actions);
    for (const [id, name] of counters.names) rollups.names.set(id, name);
  }
  return rollups;
}

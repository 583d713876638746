import type { ActionCounters } from './insight.model.js';

/** One account's counters of one day, every writer's added up: per action (decoded), and agents' names. */
export type DayCounters = { actions: Map<string, ActionCounters>; names: Map<string, string> };

/**
 * How long after a UTC day ends its counts may still change: counts are written a few milliseconds
 * after their event by the process that counted it (retried every second while the database refuses),
 * and processes' clocks may disagree by a little. After this a day is final.
 */
export const DAY_FINAL_AFTER_MS = 10 * 60_000;

/**
 * Account-days kept: a busy day (8 actions, 20 agents, full histograms) takes about 20 KB of heap, so at
 * most about 40 MB; an account read after it was pushed out is read from the database again.
 */
const MAX_ENTRIES = 2_000;

const DAY_MS = 86_400_000;

/** Whether a UTC day's counts are final at `now` (the day ended more than DAY_FINAL_AFTER_MS ago). */
export const isFinal = (day: string, now: Date) =>
  Date.parse(`${day}T00:00:00Z`) + DAY_MS + DAY_FINAL_AFTER_MS <= now.getTime();

/**
 * The finished days' counters this process has read, kept in memory: a day's counts are final once it is
 * over (each event is counted on the day it happened), so a 90-day read asks the database only for the
 * days still open (today, and yesterday for the first minutes) and for days not read before. Bounded,
 * least recently used first out. Entries are never changed after they are put (readers only add them up).
 */
export class ClosedDays {
  private readonly entries = new Map<string, DayCounters>();

  constructor(private readonly maxEntries = MAX_ENTRIES) {}

  get(accountId: string, day: string): DayCounters | undefined {
    const key = `${accountId}\u0000${day}`;
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  put(accountId: string, day: string, counters: DayCounters) {
    const key = `${accountId}\u0000${day}`;
    this.entries.delete(key);
    this.entries.set(key, counters);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size() {
    return this.entries.size;
  }
}

import type { ActionCounters } from './insight.model.js';

/** Adds counters into `into`: numbers summed, nested objects (histograms, agents) summed key by key. */
export function addCounters(into: Record<string, unknown>, from: Record<string, unknown>) {
  for (const [key, value] of Object.entries(from)) {
    if (typeof value === 'number') into[key] = ((into[key] as number | undefined) ?? 0) + value;
    else if (typeof value === 'object' && value !== null) {
      const child = (into[key] ?? {}) as Record<string, unknown>;
      addCounters(child, value as Record<string, unknown>);
      into[key] = child;
    }
  }
}

/** The sum of several counters. */
export function sumCounters(list: Iterable<ActionCounters>): ActionCounters {
  const into: Record<string, unknown> = {};
  for (const counters of list) addCounters(into, counters as Record<string, unknown>);
  return into as ActionCounters;
}

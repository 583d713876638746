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

/** Applies an update path (`a.refund.t.b3`) to a plain object, as `$inc`/`$set` would. */
export function applyPath(doc: Record<string, unknown>, path: string, apply: (old: unknown) => unknown) {
  const parts = path.split('.');
  let at = doc;
  for (const part of parts.slice(0, -1)) {
    at[part] ??= {};
    at = at[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] as string;
  at[last] = apply(at[last]);
}

/** Adds a contribution's `$inc` and `$set` paths to counters held in memory. */
export function applyContribution(
  counters: Record<string, unknown>,
  inc: Record<string, number>,
  set: Record<string, string>,
) {
  for (const [path, n] of Object.entries(inc))
    applyPath(counters, path, (old) => ((old as number | undefined) ?? 0) + n);
  for (const [path, value] of Object.entries(set)) applyPath(counters, path, () => value);
}

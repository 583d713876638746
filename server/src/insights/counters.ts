import type { ActionCounters } from './insight.model.js';

// Counter keys come from what callers sent (action names, agent ids, details field names), so one can be
// `__proto__` or `constructor`. Reading `into[key]` of such a key would reach Object.prototype and adding
// to it would pollute every object in the process: reads here are own-property only and writes define an
// own property.
const ownValue = (object: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(object, key) ? object[key] : undefined;
const setOwn = (object: Record<string, unknown>, key: string, value: unknown) => {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
};
const childObject = (object: Record<string, unknown>, key: string): Record<string, unknown> => {
  const existing = ownValue(object, key);
  if (typeof existing === 'object' && existing !== null) return existing as Record<string, unknown>;
  const child: Record<string, unknown> = {};
  setOwn(object, key, child);
  return child;
};

/** Adds counters into `into`: numbers summed, nested objects (histograms, agents) summed key by key. */
export function addCounters(into: Record<string, unknown>, from: Record<string, unknown>) {
  for (const [key, value] of Object.entries(from)) {
    if (typeof value === 'number') setOwn(into, key, ((ownValue(into, key) as number | undefined) ?? 0) + value);
    else if (typeof value === 'object' && value !== null)
      addCounters(childObject(into, key), value as Record<string, unknown>);
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
  for (const part of parts.slice(0, -1)) at = childObject(at, part);
  const last = parts[parts.length - 1] as string;
  setOwn(at, last, apply(ownValue(at, last)));
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

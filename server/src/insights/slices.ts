import { MIN_SUGGESTION_APPROVALS, type SuggestionKind, type SuggestionSlice } from '@cheqpoint/shared';
import { decodeKey, VALUE_BOUNDS } from './insight-keys.js';
import type { ActionCounters } from './insight.model.js';

type Outcomes = { a?: number; c?: number; r?: number };
const n = (value: number | undefined) => value ?? 0;

/** A slice worth a rule, from the period's counters, before its backtest. */
export type Candidate = {
  kind: SuggestionKind;
  slice: SuggestionSlice;
  /** The value buckets the bound may step down through when the backtest finds a conflict (highest first). */
  lowerBounds: number[];
  /** The histogram of the bounded field (people's outcomes per value bucket). */
  histogram: Record<string, Outcomes> | null;
};

/** People's outcomes of the slice `field ≤ VALUE_BOUNDS[top]` from the field's histogram. */
export function periodOf(histogram: Record<string, Outcomes>, top: number) {
  let approvedUnchanged = 0;
  let approvedWithChanges = 0;
  let rejected = 0;
  for (let i = 0; i <= top; i++) {
    const bucket = histogram[`b${i}`];
    approvedUnchanged += n(bucket?.a);
    approvedWithChanges += n(bucket?.c);
    rejected += n(bucket?.r);
  }
  return {
    decidedByPeople: approvedUnchanged + approvedWithChanges + rejected,
    approvedUnchanged,
    approvedWithChanges,
    rejected,
  };
}

/**
 * The highest value bucket an auto-approve bound may reach on one field: runs of neighbouring
 * non-empty buckets (values of a kind, say small refunds) are taken whole while people approved all of
 * them unchanged, and the first run with a change or a rejection is left to people entirely (a large
 * refund people approved sits beside the large ones they refused). When the very first run has one,
 * the bound stops just below its first changed or rejected bucket. null: nothing below a conflict.
 */
export function boundBucket(histogram: Record<string, Outcomes>): number | null {
  const total = (i: number) => n(histogram[`b${i}`]?.a) + n(histogram[`b${i}`]?.c) + n(histogram[`b${i}`]?.r);
  const isConflict = (i: number) => n(histogram[`b${i}`]?.c) + n(histogram[`b${i}`]?.r) > 0;
  let top: number | null = null;
  let i = 0;
  // The last bucket (above every bound) can never be a bound.
  const last = VALUE_BOUNDS.length - 1;
  while (i <= last) {
    if (total(i) === 0) {
      i++;
      continue;
    }
    const start = i;
    let end = i;
    while (end + 1 <= last && total(end + 1) > 0) end++;
    const firstConflict = Array.from({ length: end - start + 1 }, (_, k) => start + k).find(isConflict);
    if (firstConflict === undefined) {
      top = end;
      i = end + 1;
      continue;
    }
    if (top === null) {
      for (let k = firstConflict - 1; k >= start; k--) {
        if (total(k) > 0) return k;
      }
    }
    return top;
  }
  // Values above the last bound are not bounded by a round number: the run ends below them.
  return top;
}

/** Lower bounds to fall back to, highest first: the non-empty buckets below `top`. */
function lowerBoundsOf(histogram: Record<string, Outcomes>, top: number): number[] {
  const out: number[] = [];
  for (let k = top - 1; k >= 0; k--) {
    const bucket = histogram[`b${k}`];
    if (n(bucket?.a) + n(bucket?.c) + n(bucket?.r) > 0) out.push(k);
  }
  return out;
}

/** Actions a rule can name exactly (a `*` would make the name a glob, a space is refused). */
const isExactName = (action: string) => !/[*\s]/.test(action);

/**
 * The slices of one action worth a rule in the period: approved unchanged by people at least 30 times
 * with no change and no rejection (bounded on the numeric detail covering the most such approvals,
 * when the action has one), or rejected by people at least 30 times and never approved.
 */
export function candidatesOf(action: string, counters: ActionCounters): Candidate[] {
  if (!isExactName(action)) return [];
  const approved = n(counters.ua);
  const changed = n(counters.uc);
  const rejected = n(counters.ur);
  const out: Candidate[] = [];

  let best: { field: string; top: number; covered: number } | null = null;
  for (const [key, histogram] of Object.entries(counters.n ?? {})) {
    const top = boundBucket(histogram);
    if (top === null) continue;
    const covered = periodOf(histogram, top).approvedUnchanged;
    const field = decodeKey(key);
    if (covered < MIN_SUGGESTION_APPROVALS) continue;
    if (!best || covered > best.covered || (covered === best.covered && field < best.field))
      best = { field, top, covered };
  }
  if (best) {
    const histogram = counters.n?.[Object.keys(counters.n).find((k) => decodeKey(k) === best.field) ?? ''] ?? {};
    out.push({
      kind: 'auto_approve',
      slice: { action, field: best.field, lte: VALUE_BOUNDS[best.top] ?? null },
      lowerBounds: lowerBoundsOf(histogram, best.top),
      histogram,
    });
  } else if (
    Object.keys(counters.n ?? {}).length === 0 &&
    approved >= MIN_SUGGESTION_APPROVALS &&
    changed + rejected === 0
  ) {
    out.push({ kind: 'auto_approve', slice: { action, field: null, lte: null }, lowerBounds: [], histogram: null });
  }
  if (rejected >= MIN_SUGGESTION_APPROVALS && approved + changed === 0 && n(counters.pa) === 0) {
    out.push({ kind: 'auto_reject', slice: { action, field: null, lte: null }, lowerBounds: [], histogram: null });
  }
  return out;
}

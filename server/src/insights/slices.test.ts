import { describe, expect, it } from 'vitest';
import { valueBucket, VALUE_BOUNDS } from './insight-keys.js';
import { percentile } from './insights-report.js';
import { boundBucket } from './slices.js';

type Outcome = 'a' | 'c' | 'r';
/** A value histogram from (value, outcome) pairs, as the rollups count it. */
function histogram(entries: [number, Outcome][]) {
  const out: Record<string, { a?: number; c?: number; r?: number }> = {};
  for (const [value, outcome] of entries) {
    const bucket = (out[`b${valueBucket(value)}`] ??= {});
    bucket[outcome] = (bucket[outcome] ?? 0) + 1;
  }
  return out;
}
const boundOf = (entries: [number, Outcome][]) => {
  const top = boundBucket(histogram(entries));
  return top === null ? null : VALUE_BOUNDS[top];
};

describe('The bound of a suggested auto-approve rule', () => {
  it('When small amounts were all approved and large ones mixed, then the bound ends the small ones, even with a large one approved below the first refused one', () => {
    const small = Array.from({ length: 60 }, (_, i): [number, Outcome] => [5 + i, 'a']);
    expect(boundOf([...small, [500, 'a'], [550, 'a'], [600, 'c'], [700, 'r']])).toBe(100);
  });
  it('When every amount was approved, then the bound is the largest one seen, rounded up to 1-2-5', () => {
    expect(
      boundOf([
        [3, 'a'],
        [40, 'a'],
        [130, 'a'],
      ]),
    ).toBe(200);
  });
  it('When the amounts form one run with a rejection in it, then the bound stops below the rejected bucket', () => {
    expect(
      boundOf([
        [3, 'a'],
        [8, 'a'],
        [15, 'a'],
        [30, 'r'],
        [45, 'a'],
      ]),
    ).toBe(20);
  });
  it('When the smallest amount was rejected, then there is no bound', () => {
    expect(
      boundOf([
        [1, 'r'],
        [2, 'a'],
      ]),
    ).toBeNull();
  });
});

describe('Percentiles from the time-to-decision histogram', () => {
  it('When the rank falls inside a bucket, then it is interpolated between its bounds; none: null', () => {
    // 4 decisions in (5 s, 15 s]: p50 is the 2nd of 4 → 5 + 10 × 2/4.
    expect(percentile([0, 0, 4], 0.5)).toBe(10);
    // 1 in (0, 1], 1 in (1, 5]: p90 rank 1.8 → 1 + 4 × 0.8.
    expect(percentile([1, 1], 0.9)).toBeCloseTo(4.2, 10);
    expect(percentile([0, 0], 0.5)).toBeNull();
  });
});

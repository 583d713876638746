import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-buckets.js';

describe('TokenBuckets', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('When a key takes its burst, then the next take waits for the refill; other keys are independent', () => {
    const time = clock();
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: time.now });
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(500);
    expect(buckets.peek('a')).toBe(500);
    expect(buckets.take('b')).toBe(0);
    time.advance(400);
    expect(buckets.take('a')).toBe(100);
    time.advance(100);
    expect(buckets.take('a')).toBe(0);
    time.advance(10_000);
    expect(buckets.peek('a')).toBe(0);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0, 500]);
  });

  it('When more keys than the cap arrive, then refilled buckets go first and memory stays bounded', () => {
    const time = clock();
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, maxKeys: 100, now: time.now });
    for (let i = 0; i < 100; i++) buckets.take(`k${i}`);
    time.advance(1_000); // all refilled
    for (let i = 0; i < 1_000; i++) buckets.take(`busy${i}`);
    expect(buckets.size).toBeLessThanOrEqual(100);
    // A dropped bucket starts full: never stricter than without the cap.
    expect(buckets.take('k0')).toBe(0);
  });

  it('When rate or burst is not positive, then it refuses to build', () => {
    expect(() => new TokenBuckets({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBuckets({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});

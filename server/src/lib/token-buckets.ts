/**
 * In-memory token buckets, one per key: each holds up to `burst` tokens and refills at `ratePerSecond`.
 * Memory stays bounded: a bucket that has refilled completely is the same as no bucket and is dropped
 * when the map grows past `maxKeys`; if every bucket is busy, the oldest are dropped (more lenient, never
 * stricter). Per process: with N gateway processes behind a load balancer a key gets up to N times the
 * rate, which is the usual trade for needing no shared store.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: {
      ratePerSecond: number;
      burst: number;
      maxKeys?: number;
      /** Milliseconds, monotonic (tests inject their own). */
      now?: () => number;
    },
  ) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new RangeError('rate and burst must be positive');
  }

  get size() {
    return this.buckets.size;
  }

  /** Takes one token. Returns 0 when it was there, else the milliseconds until one will be (nothing taken). */
  take(key: string): number {
    const bucket = this.refill(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return this.waitMs(bucket.tokens);
  }

  /** Gives back one token taken by `take` (never past `burst`). */
  refund(key: string): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.options.burst, bucket.tokens + 1);
  }

  /** Milliseconds until a token is available (0: one is), without taking it. */
  peek(key: string): number {
    const existing = this.buckets.get(key);
    if (!existing) return 0;
    const tokens = Math.min(this.options.burst, existing.tokens + this.elapsedTokens(existing.at));
    return tokens >= 1 ? 0 : this.waitMs(tokens);
  }

  private now() {
    return this.options.now ? this.options.now() : performance.now();
  }

  private elapsedTokens(at: number) {
    return ((this.now() - at) / 1000) * this.options.ratePerSecond;
  }

  private waitMs(tokens: number) {
    return Math.max(1, Math.ceil(((1 - tokens) / this.options.ratePerSecond) * 1000));
  }

  private refill(key: string) {
    const now = this.now();
    const existing = this.buckets.get(key);
    if (existing) {
      existing.tokens = Math.min(this.options.burst, existing.tokens + this.elapsedTokens(existing.at));
      existing.at = now;
      return existing;
    }
    this.makeRoom();
    const bucket = { tokens: this.options.burst, at: now };
    this.buckets.set(key, bucket);
    return bucket;
  }

  private makeRoom() {
    const maxKeys = this.options.maxKeys ?? 100_000;
    if (this.buckets.size < maxKeys) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + this.elapsedTokens(bucket.at) >= this.options.burst) this.buckets.delete(key);
    }
    // Still full of busy buckets: drop the oldest tenth (they start over with a full bucket).
    if (this.buckets.size >= maxKeys) {
      let excess = this.buckets.size - Math.floor(maxKeys * 0.9);
      for (const key of this.buckets.keys()) {
        if (excess-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}

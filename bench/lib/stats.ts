/** Latency summary in milliseconds. */
export type Latency = { count: number; p50: number; p90: number; p99: number; max: number; mean: number };

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    mean: round(mean),
  };
}

export const round = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** measured / baseline, rounded (NaN-safe). */
export const ratio = (measured: number, baseline: number) => round(measured / baseline, 3);

/**
 * Calls `sample` until `count` samples or `timeMs` has passed (whichever first; at least `minCount`),
 * with `concurrency` callers at once. A sample that throws is counted as a failure and not timed.
 */
export async function sampleBounded<T>(
  options: {
    count: number;
    timeMs: number;
    concurrency?: number;
    /** Samples taken even past `timeMs`. */ minCount?: number;
  },
  sample: (i: number) => Promise<T>,
): Promise<{ results: T[]; failures: string[]; elapsedMs: number }> {
  const results: T[] = [];
  const failures: string[] = [];
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < options.count && (next < (options.minCount ?? 0) || Date.now() - started < options.timeMs)) {
      const i = next++;
      try {
        results.push(await sample(i));
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, worker));
  return { results, failures, elapsedMs: Date.now() - started };
}

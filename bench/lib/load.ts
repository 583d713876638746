import autocannon, { type Instance, type Request, type Result } from 'autocannon';

/** What one autocannon run measured. Latencies in ms (autocannon corrects coordinated omission at a fixed rate). */
export type LoadResult = {
  /** Successful (2xx) responses per second. */
  rps: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  durationS: number;
  connections: number;
  overallRate: number | null;
};

export type LoadOptions = {
  url: string;
  /** The request sequence each connection loops over (setupRequest makes bodies or paths unique). */
  requests: Request[];
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  /** Fixed rate of requests per second over all connections (autocannon `overallRate`). */
  overallRate?: number;
};

/** One bounded autocannon run (its duration, plus a hard stop 10 s later). */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let instance: Instance | null = null;
    const hardStop = setTimeout(() => instance?.stop(), (options.durationS + 10) * 1000);
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        timeout: 30,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        requests: options.requests,
      },
      (err, result: Result) => {
        clearTimeout(hardStop);
        if (err) return reject(err);
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count]),
        );
        resolve({
          rps: Math.round((result['2xx'] / result.duration) * 10) / 10,
          requests: result.requests.total,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
          mean: Math.round(result.latency.mean * 100) / 100,
          durationS: result.duration,
          connections: options.connections,
          overallRate: options.overallRate ?? null,
        });
      },
    );
  });
}

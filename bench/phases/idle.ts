import { setTimeout as sleep } from 'node:timers/promises';
import type { CpuMeter } from '../lib/cpu.js';
import { waitQuiet } from '../lib/procs.js';
import { round } from '../lib/stats.js';

export type IdleResult = {
  windowS: number;
  /** Seconds waited for the processes to go quiet first (at most quietMaxS), plus 2 s. */
  quietS: number;
  /** CPU seconds per process over the window. */
  cpuS: Record<string, number>;
  /** FerretDB + gateway (+ PostgreSQL's backends of the database) in % of one core. */
  percentOfCore: number;
  stored: number;
};

/**
 * Nothing is sent for `windowS` seconds (after the processes went quiet): what the gateway's own timers
 * (change-feed read, callback poll, expiry sweep, driver heartbeat) cost with FerretDB, from /proc.
 */
export async function idlePhase(
  meter: CpuMeter,
  quietPids: () => number[],
  options: { windowS: number; quietMaxS: number; stored: number; counted: string[] },
): Promise<IdleResult> {
  const quietMs = await waitQuiet(quietPids(), options.quietMaxS * 1000, 0.05);
  await sleep(2_000);
  const before = meter.snapshot();
  await sleep(options.windowS * 1000);
  const { wallS, cpuS } = meter.since(before);
  const counted = options.counted.reduce((sum, name) => sum + (cpuS[name] ?? 0), 0);
  return {
    windowS: wallS,
    quietS: round(quietMs / 1000 + 2, 1),
    cpuS,
    percentOfCore: round((counted / wallS) * 100, 2),
    stored: options.stored,
  };
}

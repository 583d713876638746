import { readdirSync, readFileSync } from 'node:fs';
import { cpuSecondsOf } from './procs.js';

/** A named group of processes whose CPU is accounted together (their pids may change between phases). */
export type Tracked = { name: string; pids: () => number[] };

/** CPU seconds per pid of each group at one moment. */
export type CpuSnapshot = {
  at: number;
  groups: Map<string, Map<number, number>>;
  bench: NodeJS.CpuUsage;
  machineBusyS: number;
};

/** CPU seconds the whole machine has been busy (all cores, from /proc/stat: everything but idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (fields[3] ?? 0) - (fields[4] ?? 0)) / 100;
  } catch {
    return NaN;
  }
}

/**
 * CPU accounting from /proc: `snapshot()` before, `since(snapshot)` after gives the CPU seconds each group
 * used in between (a process that appeared meanwhile counts from zero; one that exited is lost), plus
 * this benchmark process itself (`bench`, which runs the load generator and the receiver).
 */
export class CpuMeter {
  constructor(private readonly tracked: Tracked[]) {}

  snapshot(): CpuSnapshot {
    const groups = new Map<string, Map<number, number>>();
    for (const t of this.tracked) {
      groups.set(t.name, new Map(t.pids().map((pid) => [pid, cpuSecondsOf(pid)] as const)));
    }
    return { at: performance.now(), groups, bench: process.cpuUsage(), machineBusyS: machineBusySeconds() };
  }

  since(before: CpuSnapshot): { wallS: number; cpuS: Record<string, number> } {
    const cpuS: Record<string, number> = {};
    for (const t of this.tracked) {
      const earlier = before.groups.get(t.name) ?? new Map<number, number>();
      let sum = 0;
      for (const pid of t.pids()) sum += Math.max(0, cpuSecondsOf(pid) - (earlier.get(pid) ?? 0));
      cpuS[t.name] = Math.round(sum * 100) / 100;
    }
    const bench = process.cpuUsage(before.bench);
    cpuS['bench'] = Math.round(((bench.user + bench.system) / 1e6) * 100) / 100;
    // Everything else the machine did meanwhile (other work on the machine, PostgreSQL's own background).
    const ours = Object.values(cpuS).reduce((a, b) => a + b, 0);
    cpuS['other'] = Math.round(Math.max(0, machineBusySeconds() - before.machineBusyS - ours) * 100) / 100;
    return { wallS: Math.round((performance.now() - before.at) / 100) / 10, cpuS };
  }
}

/**
 * PostgreSQL backend processes serving database `dbName` (their process title names it), so FerretDB's
 * work inside PostgreSQL is counted too.
 */
export function postgresBackendPids(dbName: string): number[] {
  const found: number[] = [];
  const needle = ` ${dbName} `;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.startsWith('postgres:') && cmdline.includes(needle)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

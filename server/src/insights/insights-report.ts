import {
  TIME_TO_DECISION_BUCKETS,
  type AgentInsights,
  type InsightDay,
  type Insights,
  type InsightTotals,
  type TimeToDecision,
} from '@cheqpoint/shared';
import { decodeKey } from './insight-keys.js';
import type { ActionCounters } from './insight.model.js';
import type { Rollups } from './rollup-reader.js';

const n = (value: number | undefined) => value ?? 0;
const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/**
 * A percentile from the histogram: the bucket holding the rank, interpolated linearly between its
 * lower and upper bound (the bucket above the last bound answers with that bound).
 */
export function percentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total === 0) return null;
  const rank = q * total;
  let before = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (inBucket > 0 && before + inBucket >= rank) {
      const lower = i === 0 ? 0 : (TIME_TO_DECISION_BUCKETS[i - 1] ?? 0);
      const upper = TIME_TO_DECISION_BUCKETS[i] ?? lower;
      return lower + ((upper - lower) * (rank - before)) / inBucket;
    }
    before += inBucket;
  }
  return TIME_TO_DECISION_BUCKETS[TIME_TO_DECISION_BUCKETS.length - 1] ?? null;
}

function timeToDecision(counts: number[]): TimeToDecision {
  return {
    count: counts.reduce((sum, c) => sum + c, 0),
    p50Seconds: percentile(counts, 0.5),
    p90Seconds: percentile(counts, 0.9),
    buckets: counts.map((count, i) => ({ leSeconds: TIME_TO_DECISION_BUCKETS[i] ?? null, count })),
  };
}

const histogramOf = (counters: ActionCounters) =>
  Array.from({ length: TIME_TO_DECISION_BUCKETS.length + 1 }, (_, i) => n(counters.t?.[`b${i}`]));

/** The totals of a list of per-day counters (one entry per day of the period). */
function totalsOf(perDay: { day: string; counters: ActionCounters }[]): InsightTotals {
  const sum: Required<Pick<ActionCounters, 'rq' | 'pa' | 'pr' | 'ua' | 'uc' | 'ur' | 'ex' | 'wt'>> = {
    rq: 0,
    pa: 0,
    pr: 0,
    ua: 0,
    uc: 0,
    ur: 0,
    ex: 0,
    wt: 0,
  };
  const histogram = Array.from({ length: TIME_TO_DECISION_BUCKETS.length + 1 }, () => 0);
  const daily: InsightDay[] = [];
  for (const { day, counters } of perDay) {
    for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += n(counters[key]);
    histogramOf(counters).forEach((count, i) => (histogram[i] = (histogram[i] ?? 0) + count));
    daily.push({
      day,
      requests: n(counters.rq),
      approved: n(counters.pa) + n(counters.ua),
      approvedWithChanges: n(counters.uc),
      rejected: n(counters.pr) + n(counters.ur),
      expired: n(counters.ex),
    });
  }
  const byPolicy = sum.pa + sum.pr;
  const byPeople = sum.ua + sum.uc + sum.ur;
  const decided = byPolicy + byPeople + sum.ex;
  return {
    requests: sum.rq,
    decided,
    // A request counted by a process killed before writing it may leave a decision without its request.
    pending: Math.max(0, sum.rq - decided),
    decidedByPolicy: byPolicy,
    decidedByPeople: byPeople,
    expired: sum.ex,
    approved: sum.pa + sum.ua,
    approvedWithChanges: sum.uc,
    rejected: sum.pr + sum.ur,
    decidedWhileWaiting: sum.wt,
    shares: {
      byPolicy: share(byPolicy, decided),
      byPeople: share(byPeople, decided),
      expired: share(sum.ex, decided),
      approvalRate: share(sum.ua + sum.uc, byPeople),
      changeRate: share(sum.uc, sum.ua + sum.uc),
      withinWait: share(Math.min(sum.wt, byPeople), byPeople),
    },
    timeToDecision: timeToDecision(histogram),
    daily,
  };
}

function agentsOf(rollups: Rollups): AgentInsights[] {
  const agents = new Map<string, AgentInsights>();
  for (const actions of rollups.days.values()) {
    for (const counters of actions.values()) {
      for (const [key, outcomes] of Object.entries(counters.g ?? {})) {
        const agentId = decodeKey(key);
        const agent = agents.get(agentId) ?? {
          agentId,
          name: rollups.names.get(agentId) ?? null,
          decisions: 0,
          approved: 0,
          approvedWithChanges: 0,
          rejected: 0,
        };
        agent.approved += n(outcomes.a);
        agent.approvedWithChanges += n(outcomes.c);
        agent.rejected += n(outcomes.r);
        agent.decisions = agent.approved + agent.approvedWithChanges + agent.rejected;
        agents.set(agentId, agent);
      }
    }
  }
  return [...agents.values()].sort((x, y) => y.decisions - x.decisions || x.agentId.localeCompare(y.agentId));
}

const TOTALLED = ['rq', 'pa', 'pr', 'ua', 'uc', 'ur', 'ex', 'wt'] as const;

/** The day's counts of every action added up: what the total row reads (not the agents' or details' histograms). */
function totalOfDay(actions: Iterable<ActionCounters>): ActionCounters {
  const total: ActionCounters = {};
  const t: Record<string, number> = {};
  for (const counters of actions) {
    for (const key of TOTALLED) total[key] = n(total[key]) + n(counters[key]);
    for (let i = 0; i <= TIME_TO_DECISION_BUCKETS.length; i++) {
      const count = n(counters.t?.[`b${i}`]);
      if (count > 0) t[`b${i}`] = n(t[`b${i}`]) + count;
    }
  }
  return { ...total, t };
}

/** The insights of a period from its rollups (`days`: the period's days, oldest first). */
export function insightsOf(rollups: Rollups, days: readonly string[], now: Date): Insights {
  const actionNames = new Set<string>();
  for (const actions of rollups.days.values()) for (const action of actions.keys()) actionNames.add(action);
  const actions = [...actionNames]
    .map((action) => ({
      action,
      ...totalsOf(days.map((day) => ({ day, counters: rollups.days.get(day)?.get(action) ?? {} }))),
    }))
    .sort((x, y) => y.requests - x.requests || x.action.localeCompare(y.action));
  const total = totalsOf(days.map((day) => ({ day, counters: totalOfDay(rollups.days.get(day)?.values() ?? []) })));
  return {
    days: days.length,
    from: days[0] ?? '',
    to: days[days.length - 1] ?? '',
    generatedAt: now.toISOString(),
    total,
    actions,
    agents: agentsOf(rollups),
  };
}

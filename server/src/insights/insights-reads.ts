import type { Connection } from 'mongoose';
import type { Insights, Suggestions } from '@cheqpoint/shared';
import type { Clock } from '../lib/clock.js';
import { policiesRepository } from '../policies/policies.repository.js';
import { daysUpTo } from './insight-keys.js';
import { insightsOf } from './insights-report.js';
import type { ClosedDays } from './closed-days.js';
import { readRollups } from './rollup-reader.js';
import { suggestRules } from './suggestions.js';

/**
 * The insights of an account's last `days` UTC days, today included (rollups read by key; finished days
 * from `closed` when this process has read them before).
 */
export async function readInsights(
  conn: Connection,
  clock: Clock,
  accountId: string,
  days: number,
  closed?: ClosedDays,
): Promise<Insights> {
  const now = clock.now();
  const period = daysUpTo(now, days);
  return insightsOf(await readRollups(conn, accountId, period, closed && { cache: closed, now }), period, now);
}

/**
 * The suggested rules of an account's last `days` days, backtested over its stored requests, and its
 * policy with them first. Used by `GET /api/agent/insights/suggestions` and `policy suggest`.
 */
export async function readSuggestions(
  conn: Connection,
  clock: Clock,
  accountId: string,
  days: number,
  closed?: ClosedDays,
): Promise<Suggestions> {
  const now = clock.now();
  const period = daysUpTo(now, days);
  const [rollups, stored] = await Promise.all([
    readRollups(conn, accountId, period, closed && { cache: closed, now }),
    policiesRepository(conn, clock).getPolicy(accountId),
  ]);
  return suggestRules(conn, accountId, rollups, { days: period, now }, stored?.policy ?? null);
}

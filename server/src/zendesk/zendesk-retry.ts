import { MAX_RETRY_AFTER_MS, parseRetryAfter, withJitter } from '../callbacks/retry-schedule.js';
import type { ZendeskResult } from './zendesk-client.js';

/** Delays before attempts 2, 3, … of one Zendesk effect: about 4 hours in all, then given up. */
export const DEFAULT_ZENDESK_RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 60 * 60_000,
];

/** After an attempt: done, again at `nextAttemptAt`, or given up (a 4xx other than 429, or retries used up). */
export type ZendeskStep =
  { state: 'done' } | { state: 'retry'; nextAttemptAt: Date; error: string } | { state: 'failed'; error: string };

export function describe(result: ZendeskResult): string {
  return result.kind === 'error' ? result.message : `HTTP ${result.status}`;
}

/**
 * 2xx is done; 429, 5xx and network errors retry on the schedule (after their Retry-After, at most an
 * hour); any other status will not get better by itself (bad credentials, deleted ticket): given up.
 */
export function zendeskStep(
  result: ZendeskResult,
  attempt: number,
  now: Date,
  options: { scheduleMs: readonly number[]; random: () => number },
): ZendeskStep {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { state: 'done' };
  const error = describe(result);
  const isTransient = result.kind === 'error' || result.status === 429 || result.status >= 500;
  if (!isTransient || attempt > options.scheduleMs.length) return { state: 'failed', error };
  const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, now) : null;
  const delay =
    retryAfter !== null
      ? Math.min(retryAfter, MAX_RETRY_AFTER_MS)
      : withJitter(options.scheduleMs[attempt - 1] as number, options.random);
  return { state: 'retry', nextAttemptAt: new Date(now.getTime() + delay), error };
}

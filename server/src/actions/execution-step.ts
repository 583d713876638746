import {
  describeResult,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  withJitter,
  type AttemptResult,
} from '../callbacks/retry-schedule.js';

/** What an execution attempt leads to. */
export type ExecutionStep =
  | { state: 'done' }
  | { state: 'pending'; nextAttemptAt: Date; lastError: string }
  | { state: 'failed'; lastError: string };

/** Statuses tried again: the receiver may answer otherwise later. */
const isRetryable = (status: number) => status === 429 || status >= 500;

/**
 * After attempt number `attempt` (1-based): 2xx done; 429, 5xx and network errors (timeouts, DNS, a
 * reset, a shutdown mid-attempt) again on the callback schedule, a `Retry-After` honoured (at most an
 * hour), until it runs out; any other status (a 4xx: the request itself is wrong; a 3xx: redirects are
 * not followed) and a refused address fail at once: retrying would send the same thing again.
 */
export function executionStep(
  result: AttemptResult,
  attempt: number,
  now: Date,
  options: { scheduleMs: readonly number[]; random: () => number },
): ExecutionStep {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { state: 'done' };
  const lastError = describeResult(result);
  if (result.kind === 'error' && result.reason === 'blocked') return { state: 'failed', lastError };
  if (result.kind === 'error' && result.reason === 'interrupted') {
    return { state: 'pending', nextAttemptAt: now, lastError };
  }
  if (result.kind === 'response' && !isRetryable(result.status)) return { state: 'failed', lastError };
  if (attempt > options.scheduleMs.length) return { state: 'failed', lastError: `${lastError} (retries used up)` };
  const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, now) : null;
  const delay =
    retryAfter !== null
      ? Math.min(retryAfter, MAX_RETRY_AFTER_MS)
      : withJitter(options.scheduleMs[attempt - 1] as number, options.random);
  return { state: 'pending', nextAttemptAt: new Date(now.getTime() + delay), lastError };
}

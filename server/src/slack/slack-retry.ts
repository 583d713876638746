import { MAX_RETRY_AFTER_MS, withJitter } from '../callbacks/retry-schedule.js';
import { describeResult, type SlackResult } from './slack-api.js';

/** Slack errors (`ok: false`) that say "try again", as opposed to a refusal that will not change by itself. */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export type SlackStep =
  { state: 'done' } | { state: 'retry'; nextAttemptAt: Date; error: string } | { state: 'failed'; error: string };

/**
 * After one call: done; again after Slack's Retry-After on a 429 (at most an hour); again on the
 * schedule after a 5xx, a network error or a transient Slack error; otherwise (a bad token, a channel
 * the bot is not in) given up, as it is when the schedule is used up.
 */
export function slackStep(
  result: SlackResult<unknown>,
  attempt: number,
  now: Date,
  options: { scheduleMs: readonly number[]; random: () => number },
): SlackStep {
  if (result.kind === 'ok') return { state: 'done' };
  const error = describeResult(result);
  const isTransient =
    result.kind === 'rate-limited' ||
    result.kind === 'network' ||
    (result.kind === 'http' && (result.status >= 500 || result.status === 0)) ||
    (result.kind === 'refused' && TRANSIENT_ERRORS.has(result.error));
  if (!isTransient || attempt > options.scheduleMs.length) return { state: 'failed', error };
  const delay =
    result.kind === 'rate-limited'
      ? Math.min(Math.max(result.retryAfterSeconds, 0) * 1000, MAX_RETRY_AFTER_MS)
      : withJitter(options.scheduleMs[attempt - 1] as number, options.random);
  return { state: 'retry', nextAttemptAt: new Date(now.getTime() + delay), error };
}

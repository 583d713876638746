/**
 * When a callback is tried again, and when it is given up. Pure functions: time and randomness are
 * passed in, so tests can check the schedule exactly.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delays before attempts 2…10 (the first attempt is immediate): about 23.6 hours in all, then `dead`.
 * Each delay gets ±JITTER so that many failed callbacks do not retry in lockstep.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  1 * MINUTE,
  5 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  8 * HOUR,
];

/** Relative jitter applied to each scheduled delay (0.2 = ±20 %). */
export const RETRY_JITTER = 0.2;

/** Longest `Retry-After` honoured; a longer one is cut to this. */
export const MAX_RETRY_AFTER_MS = 1 * HOUR;

/** Statuses whose `Retry-After` header sets the next attempt. */
const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

/** What one attempt produced. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter: string | null; bodySnippet: string }
  | {
      kind: 'error';
      /** `blocked`: the address is not allowed (SSRF); `interrupted`: the gateway stopped mid-attempt. */
      reason: 'blocked' | 'timeout' | 'network' | 'dns' | 'interrupted';
      message: string;
    };

/** The delivery state to record after an attempt. */
export type NextStep =
  | { state: 'delivered'; lastError: null }
  | { state: 'pending'; nextAttemptAt: Date; lastError: string }
  | { state: 'dead' | 'gone' | 'blocked'; lastError: string };

export type ScheduleOptions = {
  /** Delays before attempts 2, 3, …; attempts = length + 1. */
  scheduleMs: readonly number[];
  /** Returns [0, 1); Math.random in production. */
  random: () => number;
};

/** `ms` moved by up to ±RETRY_JITTER of itself. */
export function withJitter(ms: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 + (random() * 2 - 1) * RETRY_JITTER)));
}

/** Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or null when unusable. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  if (!/[a-z]/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}

/** Short description of a failed attempt, stored as `lastError`. */
export function describeResult(result: AttemptResult): string {
  if (result.kind === 'error') return result.message;
  const base =
    result.status >= 300 && result.status < 400
      ? `HTTP ${result.status} (redirects are not followed)`
      : `HTTP ${result.status}`;
  const snippet = result.bodySnippet.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet ? `${base}: ${snippet}` : base;
}

/**
 * The state after attempt number `attempt` (1-based) ended with `result`:
 * 2xx delivered; 410 gone; a blocked address stops at once; 3xx, other statuses and network errors
 * retry on the schedule (429/502/503/504 after their `Retry-After`, at most an hour) until it runs out.
 */
export function nextStep(result: AttemptResult, attempt: number, now: Date, options: ScheduleOptions): NextStep {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
    return { state: 'delivered', lastError: null };
  }
  const lastError = describeResult(result);
  if (result.kind === 'response' && result.status === 410) return { state: 'gone', lastError };
  if (result.kind === 'error' && result.reason === 'blocked') return { state: 'blocked', lastError };
  if (result.kind === 'error' && result.reason === 'interrupted') {
    return { state: 'pending', nextAttemptAt: now, lastError };
  }
  if (attempt > options.scheduleMs.length) return { state: 'dead', lastError };

  const retryAfter =
    result.kind === 'response' && RETRY_AFTER_STATUSES.has(result.status)
      ? parseRetryAfter(result.retryAfter, now)
      : null;
  const delay =
    retryAfter !== null
      ? Math.min(retryAfter, MAX_RETRY_AFTER_MS)
      : withJitter(options.scheduleMs[attempt - 1] as number, options.random);
  return { state: 'pending', nextAttemptAt: new Date(now.getTime() + delay), lastError };
}

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR };

/** Parses a schedule such as `5s,1m,5m,30m,1h`; throws with a reason on a bad entry. */
export function parseSchedule(text: string): number[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('needs at least one delay');
  return entries.map((entry) => {
    const match = /^(\d+)(ms|s|m|h)$/.exec(entry);
    if (!match) throw new Error(`"${entry}" is not a delay like 500ms, 5s, 1m or 2h`);
    return Number(match[1]) * (UNITS[match[2] as string] as number);
  });
}

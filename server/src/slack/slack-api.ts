import { ErrorCode, WebClient, type Logger as SlackLogger, LogLevel } from '@slack/web-api';
import type { SlackConnectionDoc } from './slack.model.js';

/** What one Slack Web API call produced; failures are results, never throws (and never carry the token). */
export type SlackResult<T> =
  | { kind: 'ok'; data: T }
  /** HTTP 429: try again after `retryAfterSeconds` (Slack's Retry-After). */
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  /** Another HTTP status (5xx: Slack is having trouble). */
  | { kind: 'http'; status: number }
  /** `{ ok: false, error }`: Slack refused the call (`invalid_auth`, `channel_not_found`, …). */
  | { kind: 'refused'; error: string }
  /** No answer: connection refused, reset, or the timeout. */
  | { kind: 'network'; message: string };

export const describeResult = (result: SlackResult<unknown>): string => {
  switch (result.kind) {
    case 'ok':
      return 'ok';
    case 'rate-limited':
      return `HTTP 429 (Retry-After ${result.retryAfterSeconds} s)`;
    case 'http':
      return `HTTP ${result.status}`;
    case 'refused':
      return `Slack refused: ${result.error}`;
    case 'network':
      return result.message;
  }
};

/** The client's own log stays quiet: the outbox logs what matters, without request bodies. */
const quiet: SlackLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

export type SlackTarget = Pick<SlackConnectionDoc, 'apiUrl' | 'botToken'>;

const clients = new Map<string, WebClient>();

/**
 * The official client for a connection, configured so that the outbox owns retrying: no retries of
 * its own, a 429 answered at once (rejectRateLimitedCalls) rather than waited out inside the call, and
 * a timeout, so a call never hangs an attempt or holds a claim past its lease.
 */
function clientOf(target: SlackTarget, timeoutMs: number): WebClient {
  const key = `${target.apiUrl}\n${target.botToken}\n${timeoutMs}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(target.botToken, {
      slackApiUrl: target.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: timeoutMs,
      logger: quiet,
      logLevel: LogLevel.ERROR,
    });
    if (clients.size >= 1_000) clients.delete(clients.keys().next().value as string);
    clients.set(key, client);
  }
  return client;
}

/** Runs one call with the connection's client and turns its failure into a result. */
export async function callSlack<T>(
  target: SlackTarget,
  timeoutMs: number,
  call: (client: WebClient) => Promise<T>,
): Promise<SlackResult<T>> {
  try {
    return { kind: 'ok', data: await call(clientOf(target, timeoutMs)) };
  } catch (err) {
    const e = err as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown } };
    switch (e.code) {
      case ErrorCode.RateLimitedError:
        return { kind: 'rate-limited', retryAfterSeconds: typeof e.retryAfter === 'number' ? e.retryAfter : 1 };
      case ErrorCode.HTTPError:
        return { kind: 'http', status: typeof e.statusCode === 'number' ? e.statusCode : 0 };
      case ErrorCode.PlatformError:
        return { kind: 'refused', error: typeof e.data?.error === 'string' ? e.data.error : 'unknown_error' };
      default:
        return {
          kind: 'network',
          message: /timeout/i.test(String((err as Error)?.message)) ? 'timeout' : 'network error',
        };
    }
  }
}

import { authorizationOf } from './connections.js';
import type { ZendeskConnectionDoc } from './zendesk.model.js';

/** What one request to Zendesk produced (never carries the Authorization header). */
export type ZendeskResult =
  { kind: 'response'; status: number; retryAfter: string | null } | { kind: 'error'; message: string };

export type ZendeskRequest = { method: 'PUT' | 'POST' | 'DELETE'; path: string; body: unknown };

/** Sends one request to the account's Zendesk API; network failures and timeouts are results, not throws. */
export async function sendToZendesk(
  connection: ZendeskConnectionDoc,
  request: ZendeskRequest,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ZendeskResult> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  try {
    const response = await fetch(`${connection.baseUrl}${request.path}`, {
      method: request.method,
      headers: {
        authorization: authorizationOf(connection),
        'content-type': 'application/json',
        accept: 'application/json',
        'user-agent': 'Cheqpoint-Gateway',
      },
      body: JSON.stringify(request.body),
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    });
    // Only the status matters; the body is drained so the connection can be reused.
    await response.body?.cancel().catch(() => {});
    return { kind: 'response', status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const name = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network error';
    return { kind: 'error', message: `${name}${cause}` };
  }
}

/** What a read from Zendesk produced: the JSON body of a 2xx, or why there is none. */
export type ZendeskRead =
  { kind: 'ok'; body: unknown } | { kind: 'status'; status: number } | { kind: 'error'; message: string };

/** What a read needs of a connection: where, and how to sign in (a stored one, or one still to be checked). */
export type ZendeskTarget = Pick<ZendeskConnectionDoc, 'baseUrl' | 'authKind' | 'email' | 'secret'>;

/** Reads one resource of the account's Zendesk API (a GET); failures are results, not throws. */
export async function readFromZendesk(
  connection: ZendeskTarget,
  path: string,
  options: { timeoutMs: number },
): Promise<ZendeskRead> {
  try {
    const response = await fetch(`${connection.baseUrl}${path}`, {
      method: 'GET',
      headers: {
        authorization: authorizationOf(connection),
        accept: 'application/json',
        'user-agent': 'Cheqpoint-Gateway',
      },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return { kind: 'status', status: response.status };
    }
    return { kind: 'ok', body: await response.json() };
  } catch (err) {
    const name = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network error';
    return { kind: 'error', message: name };
  }
}

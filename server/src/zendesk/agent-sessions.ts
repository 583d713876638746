import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The gateway's own short-lived session for one Zendesk user in one app installation, minted after a
 * signed-URL token was verified and embedded in the app page it serves. The app sends it with each
 * gateway call (header `x-cheqpoint-session`) through Zendesk's proxy; iframe cookies are unreliable
 * and a URL would leak it into logs. Format `v1.<payload base64url>.<HMAC-SHA256 base64url>`, keyed by
 * the account's session secret (stored with its verification settings, so every process checks it and
 * re-running `zendesk verify` revokes all sessions).
 */
export const SESSION_HEADER = 'x-cheqpoint-session';
/** How long a session lasts: about a working day; the app gets a new one each time Zendesk loads it. */
export const SESSION_TTL_MS = 10 * 60 * 60 * 1000;

export type AgentSession = {
  accountId: string;
  installationId: string;
  userId: string;
  name: string | null;
  email: string | null;
  role: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number;
};

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(`v1.${payload}`).digest();

export function mintSession(secret: string, session: AgentSession): string {
  const payload = Buffer.from(
    JSON.stringify({
      a: session.accountId,
      i: session.installationId,
      u: session.userId,
      n: session.name,
      e: session.email,
      r: session.role,
      x: session.expiresAt,
    }),
  ).toString('base64url');
  return `v1.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * What a session claims, read before its signature can be checked (the secret is per installation):
 * only to find which secret to check it with, never to trust.
 */
export function peekSession(token: string): AgentSession | null {
  return readPayload(token);
}

function readPayload(token: string): AgentSession | null {
  const match = /^v1\.([A-Za-z0-9_-]{1,4000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  try {
    const p = JSON.parse(Buffer.from(match[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    if (typeof p['a'] !== 'string' || typeof p['i'] !== 'string' || typeof p['u'] !== 'string') return null;
    if (typeof p['x'] !== 'number') return null;
    return {
      accountId: p['a'],
      installationId: p['i'],
      userId: p['u'],
      name: str(p['n']),
      email: str(p['e']),
      role: str(p['r']),
      expiresAt: p['x'],
    };
  } catch {
    return null;
  }
}

/** The session when its signature holds under `secret` and it has not expired; otherwise null. */
export function verifySession(secret: string, token: string, nowMs: number): AgentSession | null {
  const session = readPayload(token);
  if (!session) return null;
  const [, payload = '', signature = ''] = token.split('.');
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return session.expiresAt > nowMs ? session : null;
}

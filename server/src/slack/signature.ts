import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request signed more than this far from the gateway's clock is refused. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

/** Why a request is not taken as Slack's (each is a 401, and nothing is written). */
export type SignatureRefusal = 'missing-headers' | 'stale-timestamp' | 'bad-signature';

export const REFUSAL_DETAIL: Record<SignatureRefusal | 'replayed', string> = {
  'missing-headers': 'Send X-Slack-Request-Timestamp and X-Slack-Signature (Slack signs every interaction)',
  'stale-timestamp': 'X-Slack-Request-Timestamp is more than 5 minutes from the gateway clock',
  'bad-signature': "X-Slack-Signature does not match this workspace's signing secret",
  replayed: 'This signed request was received already',
};

/** The headers of a signed request, or why they are unusable (missing, or a timestamp out of the window). */
export function signedHeaders(
  timestamp: string | undefined,
  signature: string | undefined,
  nowMs: number,
): { ok: true; timestamp: string; signature: string } | { ok: false; refusal: SignatureRefusal } {
  if (!timestamp || !signature) return { ok: false, refusal: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, refusal: 'stale-timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, refusal: 'stale-timestamp' };
  }
  return { ok: true, timestamp, signature };
}

/**
 * Whether `signature` is Slack's for `rawBody` at `timestamp` with `secret`: `v0=` + hex HMAC-SHA256 of
 * `v0:{timestamp}:{raw body}`, over the bytes as received (before any parsing), compared in constant time.
 */
export function isSlackSignature(secret: string, timestamp: string, rawBody: Buffer, signature: string): boolean {
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

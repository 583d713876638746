import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../http/app-error.js';

/** How far the signed timestamp may be from now. */
export const ZENDESK_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

export const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';

/** base64(HMAC-SHA256(secret, timestamp + raw body)), as Zendesk signs webhooks. */
export function signZendeskWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(rawBody).digest('base64');
}

/**
 * Checks Zendesk's webhook signature on the raw body; throws 401 when it is missing, wrong or stale.
 * The timestamp header is ISO 8601 (e.g. 2026-11-26T17:00:00Z); epoch seconds are accepted too.
 */
export function verifyZendeskSignature(options: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  now: Date;
}) {
  const { signature, timestamp } = options;
  if (!signature || !timestamp) {
    throw new AppError(
      'unauthorized',
      401,
      'This account requires Zendesk webhook signatures: X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp',
    );
  }
  const when = /^\d{9,11}$/.test(timestamp) ? Number(timestamp) * 1000 : Date.parse(timestamp);
  if (!Number.isFinite(when) || Math.abs(options.now.getTime() - when) > ZENDESK_SIGNATURE_TOLERANCE_MS) {
    throw new AppError(
      'unauthorized',
      401,
      'The Zendesk webhook signature timestamp is missing, malformed or older than 5 minutes',
    );
  }
  const expected = Buffer.from(signZendeskWebhook(options.secret, timestamp, options.rawBody));
  const given = Buffer.from(signature.trim());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('unauthorized', 401, 'The Zendesk webhook signature does not match the body');
  }
}

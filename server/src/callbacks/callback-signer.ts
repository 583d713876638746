import { createHmac } from 'node:crypto';
import type { SigningSecret } from '../accounts/account.model.js';

/** Standard Webhooks header names (https://github.com/standard-webhooks/standard-webhooks). */
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const SECRET_PREFIX = 'whsec_';

/** The HMAC key of a `whsec_…` secret: the base64 after the prefix, decoded. */
function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signature(secret: string, webhookId: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Secrets that sign now: those without an expiry or expiring later than `now`. */
export function activeSecrets(secrets: readonly SigningSecret[], now: Date): string[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);
}

/**
 * The three Standard Webhooks headers for one attempt. Every active secret signs (space-separated),
 * so receivers keep verifying during a secret rotation whichever secret they hold.
 */
export function signedHeaders(input: {
  webhookId: string;
  body: string;
  secrets: readonly string[];
  now: Date;
}): Record<string, string> {
  if (input.secrets.length === 0) throw new Error('The account has no active signing secret');
  const timestamp = Math.floor(input.now.getTime() / 1000);
  return {
    [WEBHOOK_ID_HEADER]: input.webhookId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: input.secrets
      .map((s) => signature(s, input.webhookId, timestamp, input.body))
      .join(' '),
  };
}

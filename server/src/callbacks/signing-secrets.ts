import type { Connection } from 'mongoose';
import { accountModels, type SigningSecret } from '../accounts/account.model.js';
import { generateSigningSecret } from '../accounts/api-key.js';
import { systemClock, type Clock } from '../lib/clock.js';

/** How long the previous signing secret keeps signing after a rotation, by default. */
export const DEFAULT_ROTATION_OVERLAP_HOURS = 24;

export type RotatedSecret = { accountId: string; secret: string; previousExpiresAt: string | null };

/**
 * Gives an account a new signing secret. Until the overlap ends, callbacks carry one signature per
 * secret, so receivers can switch to the new secret at their own pace; then the old one stops signing.
 * Secrets already expired are dropped. Returns null for an unknown account. The new secret is shown once.
 */
export async function rotateSigningSecret(
  conn: Connection,
  accountId: string,
  options: { overlapHours?: number; clock?: Clock } = {},
): Promise<RotatedSecret | null> {
  const { Account } = accountModels(conn);
  const now = (options.clock ?? systemClock).now();
  const overlapHours = options.overlapHours ?? DEFAULT_ROTATION_OVERLAP_HOURS;
  if (!Number.isFinite(overlapHours) || overlapHours < 0) throw new Error('The overlap must be 0 or more hours');
  const account = await Account.findById(accountId).lean();
  if (!account) return null;

  const overlapEnd = new Date(now.getTime() + overlapHours * 3_600_000);
  const kept: SigningSecret[] = account.signingSecrets
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .map((s) => ({
      secret: s.secret,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt === null || s.expiresAt > overlapEnd ? overlapEnd : s.expiresAt,
    }));
  const secret = generateSigningSecret();
  await Account.updateOne(
    { _id: accountId },
    { $set: { signingSecrets: [...kept, { secret, createdAt: now, expiresAt: null }] } },
  );
  return { accountId, secret, previousExpiresAt: kept.length > 0 ? overlapEnd.toISOString() : null };
}

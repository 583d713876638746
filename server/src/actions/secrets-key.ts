import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The environment variable holding the key that encrypts the accounts' secrets. */
export const SECRETS_KEY_ENV = 'CHEQPOINT_SECRETS_KEY';

/** Why a secret cannot be encrypted or read (no key, a malformed one, or not the key it was stored with). */
export class SecretsKeyError extends Error {}

/** The key as configured: 32 bytes, base64 (`openssl rand -base64 32`). Throws naming the variable. */
export function parseSecretsKey(value: string | undefined): Buffer {
  if (!value) {
    throw new SecretsKeyError(`${SECRETS_KEY_ENV} is not set (make one with: openssl rand -base64 32)`);
  }
  const key = Buffer.from(value, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || key.length !== 32) {
    throw new SecretsKeyError(`${SECRETS_KEY_ENV} must be 32 bytes in base64 (make one with: openssl rand -base64 32)`);
  }
  return key;
}

/**
 * AES-256-GCM with a fresh 96-bit IV per value; `context` (the account and secret name) is the
 * additional data, so a stored value cannot be moved to another name or account and still decrypt.
 * Stored as `v1.<iv>.<tag>.<ciphertext>` (base64 each).
 */
export function encryptSecret(key: Buffer, context: string, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
    .join('.');
}

export function decryptSecret(key: Buffer, context: string, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split('.');
  if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new SecretsKeyError('unknown secret format');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretsKeyError(`cannot be decrypted with this ${SECRETS_KEY_ENV} (stored with another key?)`);
  }
}

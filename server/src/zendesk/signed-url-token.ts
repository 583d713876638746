import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Verification of the token Zendesk POSTs (form field `token`) when it loads a signed app location
 * (manifest `signedUrls`): a JWT signed RS256 with the app's private key. The algorithm is pinned:
 * the header must say RS256, so `none` and HS256-with-the-PEM-as-secret (algorithm confusion) are
 * refused before any signature check. No JWT library: this is the whole of what we accept.
 */

/** What a verified token says (see README "Verified approvers" for what is confirmed of it). */
export type SignedUrlClaims = {
  subdomain: string;
  installationId: string;
  /** The Zendesk user the token was issued to (`sub`). */
  userId: string;
  name: string | null;
  email: string | null;
  role: string | null;
  /** Seconds since the epoch. */
  exp: number;
};

export class SignedUrlError extends Error {}

/** Clock skew allowed on `exp`, `nbf` and `iat`. */
export const SKEW_SECONDS = 60;
/** Zendesk's tokens live about 5 minutes; a token issued longer ago than this is refused whatever its exp. */
const MAX_AGE_SECONDS = 10 * 60;

const B64URL = /^[A-Za-z0-9_-]+$/;
const AUDIENCE =
  /^https:\/\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.zendesk\.com\/api\/v2\/apps\/installations\/(\d{1,20})\.json$/;
/** `sub` as a user id, or (unconfirmed shape) the user's API URL. */
const SUBJECT = /^(?:(\d{1,20})|https:\/\/[a-z0-9-]+\.zendesk\.com\/api\/v2\/users\/(\d{1,20})\.json)$/;

function decodePart(part: string, what: string): Record<string, unknown> {
  if (!B64URL.test(part)) throw new SignedUrlError(`The token's ${what} is not base64url`);
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw new SignedUrlError(`The token's ${what} is not a JSON object`);
}

const stringClaim = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 320) : null);

/** Parses an app public key (PEM, as `GET /api/v2/apps/{id}/public_key.pem` returns it); RSA only. */
export function parsePublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new SignedUrlError('The public key is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new SignedUrlError('The public key is not an RSA key');
  return key;
}

/** Verifies a signed-URL token against the app's public key; throws SignedUrlError saying why not. */
export function verifySignedUrlToken(token: string, publicKey: KeyObject, nowMs: number): SignedUrlClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 8192) throw new SignedUrlError('The token is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart, 'header');
  if (header['alg'] !== 'RS256')
    throw new SignedUrlError(`The token's algorithm must be RS256, not ${String(header['alg'])}`);
  if (!B64URL.test(signaturePart)) throw new SignedUrlError('The token signature is not base64url');
  let isSigned = false;
  try {
    isSigned = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
  } catch {
    // a signature of the wrong size: not signed by this key
  }
  if (!isSigned) throw new SignedUrlError('The token signature does not match the app public key');

  const claims = decodePart(payloadPart, 'payload');
  const now = Math.floor(nowMs / 1000);
  const exp = claims['exp'];
  const iat = claims['iat'];
  const nbf = claims['nbf'];
  if (typeof exp !== 'number' || now > exp + SKEW_SECONDS) throw new SignedUrlError('The token has expired');
  if (typeof iat !== 'number' || iat > now + SKEW_SECONDS || now - iat > MAX_AGE_SECONDS) {
    throw new SignedUrlError('The token was not issued within the last minutes');
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + SKEW_SECONDS)) {
    throw new SignedUrlError('The token is not valid yet');
  }
  const audience = AUDIENCE.exec(typeof claims['aud'] === 'string' ? claims['aud'] : '');
  if (!audience) throw new SignedUrlError('The token audience is not a Zendesk app installation');
  const [, subdomain, installationId] = audience as unknown as [string, string, string];
  if (claims['iss'] !== `${subdomain}.zendesk.com`)
    throw new SignedUrlError('The token issuer differs from its audience');
  const subject = SUBJECT.exec(typeof claims['sub'] === 'number' ? String(claims['sub']) : String(claims['sub'] ?? ''));
  if (!subject) throw new SignedUrlError('The token names no Zendesk user (sub)');
  return {
    subdomain,
    installationId,
    userId: (subject[1] ?? subject[2]) as string,
    name: stringClaim(claims['name']),
    email: stringClaim(claims['email']),
    role: stringClaim(claims['role']),
    exp,
  };
}

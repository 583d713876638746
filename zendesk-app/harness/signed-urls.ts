import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * The harness's stand-in for Zendesk's signer of signed URLs: its own RS256 key pair (the gateway is
 * told the public half with `zendesk verify`, as an admin would paste the app's public_key.pem), and
 * tokens shaped like Zendesk's (iss, aud naming the installation, sub the user, ~5 minute life).
 */
export interface ISignedUrls {
  privateKey: KeyObject;
  publicKeyPem: string;
  subdomain: string;
  installationId: string;
}

export function createSignedUrls(options: { subdomain?: string; installationId?: string } = {}): ISignedUrls {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    subdomain: options.subdomain ?? 'harness',
    installationId: options.installationId ?? '360001',
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with the given header and claims, signed RS256 with `privateKey`. */
export function signJwt(privateKey: KeyObject, claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const input = `${b64({ typ: 'JWT', alg: 'RS256', ...header })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** The claims Zendesk puts in a signed-URL token, for one user of one installation. */
export function signedUrlClaims(
  signed: Pick<ISignedUrls, 'subdomain' | 'installationId'>,
  user: { id: number | string; name?: string; email?: string; role?: string },
  location = 'ticket_sidebar',
  nowMs = Date.now(),
): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000);
  const origin = `https://${signed.subdomain}.zendesk.com`;
  return {
    iss: `${signed.subdomain}.zendesk.com`,
    aud: `${origin}/api/v2/apps/installations/${signed.installationId}.json`,
    sub: String(user.id),
    iat: now,
    nbf: now,
    exp: now + 300,
    context: { product: 'support', location },
    ...(user.name ? { name: user.name } : {}),
    ...(user.email ? { email: user.email } : {}),
    ...(user.role ? { role: user.role } : {}),
  };
}

/** The token Zendesk would post when loading `location` for `user`. */
export const signedUrlToken = (
  signed: ISignedUrls,
  user: { id: number | string; name?: string; email?: string; role?: string },
  location?: string,
) => signJwt(signed.privateKey, signedUrlClaims(signed, user, location));

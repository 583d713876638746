import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { Router, type Request, type RequestHandler } from 'express';
import type { AddressLimits } from '../http/address-limits.js';
import { AppError, validationError } from '../http/app-error.js';
import type { Clock } from '../lib/clock.js';
import { mintSession, SESSION_TTL_MS } from './agent-sessions.js';
import { parsePublicKey, SignedUrlError, verifySignedUrlToken } from './signed-url-token.js';
import type { ZendeskVerifications } from './verifications.js';

/** The meta tag the app reads its session from (see zendesk-app gateway-client). */
export const SESSION_META = 'cheqpoint-session';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

const refused = (detail: string) =>
  new AppError('unauthorized', 401, detail, { errors: [{ path: 'token', message: detail }] });

/** Zendesk's form has one field, a token of a few kB. */
const urlencoded = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
const parseForm: RequestHandler = (req, res, next) =>
  urlencoded(req, res, (err?: unknown) => {
    const isTooLarge = (err as { type?: unknown } | undefined)?.type === 'entity.too.large';
    next(isTooLarge ? new AppError('payload-too-large', 413, 'The form is larger than the 16 kB limit') : err);
  });

/** The installation a token's audience names, read before its signature only to find which key checks it. */
function installationOf(token: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      aud?: unknown;
    };
    return /\/api\/v2\/apps\/installations\/(\d{1,20})\.json$/.exec(String(payload.aud ?? ''))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * The app page for signed URLs (manifest location url `{{setting.gatewayUrl}}/zendesk/app/index.html`,
 * `signed: true`): Zendesk loads the iframe by POSTing a form field `token`; the gateway verifies it
 * against the trusted installation's public key and serves the built app with a session of that
 * Zendesk user in a meta tag (never in a URL or a log). A GET serves the page without a session, for
 * accounts that do not verify. The assets are served next to it.
 *
 * The POST is public, so with `limits` each client address gets a rate of page loads, and a budget of
 * invalid tokens past which its loads get 429 before any lookup or signature check (like the API's
 * bad-key guard). Every load counts against that budget until its token verified.
 */
export function signedAppRouter(deps: {
  appDir: string;
  verifications: ZendeskVerifications;
  clock: Clock;
  limits?: AddressLimits | null;
}) {
  const { appDir, verifications, clock } = deps;
  const limits = deps.limits ?? null;
  const guard: RequestHandler = (req, _res, next) => {
    limits?.check(req);
    next();
  };
  const router = Router();
  const page = () => readFile(path.join(appDir, 'index.html'), 'utf8');

  router.get('/zendesk/app/index.html', async (_req, res) => {
    res.type('html').send(await page());
  });

  router.post('/zendesk/app/index.html', guard, parseForm, async (req: Request, res) => {
    const token = (req.body as Record<string, unknown> | undefined)?.['token'];
    if (typeof token !== 'string' || !token) {
      throw validationError([{ path: 'token', message: 'Zendesk posts the signed-URL token as form field token' }]);
    }
    const installationId = installationOf(token);
    let installation;
    try {
      installation = installationId ? await verifications.byInstallation(installationId) : null;
    } catch (err) {
      limits?.release(req); // not checked (the database failed): no bad token
      throw err;
    }
    if (!installation) throw refused('The token names no app installation this gateway trusts');
    let claims;
    try {
      claims = verifySignedUrlToken(token, parsePublicKey(installation.publicKeyPem), clock.now().getTime());
    } catch (err) {
      if (err instanceof SignedUrlError) throw refused(err.message);
      throw err;
    }
    if (claims.installationId !== installation._id) throw refused('The token names another installation');
    if (installation.subdomain && claims.subdomain !== installation.subdomain) {
      throw refused('The token comes from another Zendesk subdomain');
    }
    limits?.release(req);
    const session = mintSession(installation.sessionSecret, {
      accountId: installation.accountId,
      installationId: installation._id,
      userId: claims.userId,
      name: claims.name,
      email: claims.email,
      role: claims.role,
      expiresAt: clock.now().getTime() + SESSION_TTL_MS,
    });
    const meta = `<meta name="${SESSION_META}" content="${session}">`;
    const html = (await page()).replace(/<head>/i, `<head>\n${meta}`);
    res.setHeader('referrer-policy', 'no-referrer');
    res.type('html').send(html);
  });

  router.get('/zendesk/app/:file', async (req, res, next) => {
    const file = String(req.params['file']);
    const type = CONTENT_TYPES[path.extname(file)];
    if (!type || !/^[\w.-]+$/.test(file) || file.startsWith('.')) return next();
    try {
      res.type(type).send(await readFile(path.join(appDir, file)));
    } catch {
      next();
    }
  });
  return router;
}

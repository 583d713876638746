import type { Request, RequestHandler } from 'express';
import { AppError } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import type { AccountsService, Principal } from './accounts.service.js';
import { hashApiKey, type KeyScope } from './api-key.js';

const principals = new WeakMap<Request, Principal>();

/** The principal the auth middleware attached to this request. */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (!principal) throw new Error('principalOf() used on a route without requireKey()');
  return principal;
}

/** The principal of this request if it authenticated (for logs and metrics), else null. */
export function maybePrincipalOf(req: Request): Principal | null {
  return principals.get(req) ?? null;
}

/**
 * Requires a valid `x-api-key` of one of `scopes`: 401 when missing or invalid, 403 for another scope.
 * With `limits`: 429 when the client address presented too many invalid keys, or the key is over its rate.
 */
export function requireKey(
  accounts: AccountsService,
  scopes: readonly KeyScope[],
  limits?: RequestLimits | null,
): RequestHandler {
  return async (req, _res, next) => {
    const key = req.get('x-api-key')?.trim();
    if (!key) throw new AppError('unauthorized', 401, 'Send your API key in the x-api-key header');
    const keyHash = limits ? hashApiKey(key) : '';
    limits?.checkAddress(req, keyHash);
    const principal = await accounts.authenticate(key);
    if (!principal) {
      limits?.recordBadKey(req, keyHash);
      throw new AppError('unauthorized', 401, 'The API key is invalid or revoked');
    }
    // Attached before the scope and rate checks so the request log names the key id of a 403 or 429 too.
    principals.set(req, principal);
    limits?.checkKey(principal, keyHash);
    if (!scopes.includes(principal.scope)) {
      throw new AppError(
        'forbidden',
        403,
        principal.scope === 'flow'
          ? 'Flow keys cannot use agent endpoints: an AI agent never decides its own request'
          : `This endpoint needs a ${scopes.join(' or ')} key`,
      );
    }
    next();
  };
}

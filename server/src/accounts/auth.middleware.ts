import type { Request, RequestHandler } from 'express';
import { AppError } from '../http/app-error.js';
import type { AccountsService, Principal } from './accounts.service.js';
import type { KeyScope } from './api-key.js';

const principals = new WeakMap<Request, Principal>();

/** The principal the auth middleware attached to this request. */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (!principal) throw new Error('principalOf() used on a route without requireKey()');
  return principal;
}

/** Requires a valid `x-api-key` of one of `scopes`: 401 when missing or invalid, 403 for another scope. */
export function requireKey(accounts: AccountsService, scopes: readonly KeyScope[]): RequestHandler {
  return async (req, _res, next) => {
    const key = req.get('x-api-key')?.trim();
    if (!key) throw new AppError('unauthorized', 401, 'Send your API key in the x-api-key header');
    const principal = await accounts.authenticate(key);
    if (!principal) throw new AppError('unauthorized', 401, 'The API key is invalid or revoked');
    if (!scopes.includes(principal.scope)) {
      throw new AppError(
        'forbidden',
        403,
        principal.scope === 'flow'
          ? 'Flow keys cannot use agent endpoints: an AI agent never decides its own request'
          : `This endpoint needs a ${scopes.join(' or ')} key`,
      );
    }
    principals.set(req, principal);
    next();
  };
}

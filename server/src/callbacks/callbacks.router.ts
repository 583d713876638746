import { Router } from 'express';
import { APPROVAL_ID_PATTERN } from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import type { Approval } from '@cheqpoint/shared';
import { notFound } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import type { CallbacksService } from './callbacks.service.js';

export function callbacksRouter(deps: {
  accounts: AccountsService;
  /** The approval as the API shows it (approvals/ provides it). */
  readApproval: (accountId: string, approvalId: string) => Promise<Approval>;
  callbacks: CallbacksService;
  limits?: RequestLimits | null;
}) {
  const router = Router();

  /** Queues the callback again (same webhook-id); 202 with the approval and its callback state, 409 while an attempt is in flight. */
  router.post(
    '/api/agent/approvals/:approvalId/redeliver',
    requireKey(deps.accounts, ['agent'], deps.limits),
    async (req, res) => {
      const principal = principalOf(req);
      const approvalId = req.params['approvalId'];
      if (typeof approvalId !== 'string' || !APPROVAL_ID_PATTERN.test(approvalId)) throw notFound();
      await deps.callbacks.redeliver(principal.accountId, approvalId, `key:${principal.keyId}`);
      res.status(202).json(await deps.readApproval(principal.accountId, approvalId));
    },
  );

  return router;
}

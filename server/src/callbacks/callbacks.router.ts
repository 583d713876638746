import { Router } from 'express';
import { APPROVAL_ID_PATTERN } from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import type { ApprovalsService } from '../approvals/approvals.service.js';
import { notFound } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import type { CallbacksService } from './callbacks.service.js';

export function callbacksRouter(deps: {
  accounts: AccountsService;
  approvals: ApprovalsService;
  callbacks: CallbacksService;
  limits?: RequestLimits | null;
}) {
  const router = Router();

  /** Queues the callback again (same webhook-id); 202 with the approval and its callback state. */
  router.post(
    '/api/agent/approvals/:approvalId/redeliver',
    requireKey(deps.accounts, ['agent'], deps.limits),
    async (req, res) => {
      const principal = principalOf(req);
      const approvalId = req.params['approvalId'];
      if (typeof approvalId !== 'string' || !APPROVAL_ID_PATTERN.test(approvalId)) throw notFound();
      await deps.callbacks.redeliver(principal.accountId, approvalId, `key:${principal.keyId}`);
      res.status(202).json(await deps.approvals.get(principal.accountId, approvalId));
    },
  );

  return router;
}

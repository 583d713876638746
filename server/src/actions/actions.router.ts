import { Router } from 'express';
import { APPROVAL_ID_PATTERN } from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import { AppError, notFound } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import type { Actions } from './actions.js';

/** `POST /api/agent/approvals/{id}/execution/retry`: a failed execution is tried again (same Idempotency-Key). */
export function actionsRouter(deps: {
  accounts: AccountsService;
  actions: Pick<Actions, 'retry'>;
  /** The approval as the API shows it, after the retry was queued (202) or refused (409). */
  approval: (accountId: string, approvalId: string) => Promise<unknown>;
  limits?: RequestLimits | null;
}) {
  const router = Router();
  router.post(
    '/api/agent/approvals/:approvalId/execution/retry',
    requireKey(deps.accounts, ['agent'], deps.limits ?? null),
    async (req, res) => {
      const principal = principalOf(req);
      const approvalId = req.params['approvalId'];
      if (typeof approvalId !== 'string' || !APPROVAL_ID_PATTERN.test(approvalId)) throw notFound();
      const result = await deps.actions.retry(principal.accountId, approvalId);
      switch (result.kind) {
        case 'not-found':
          throw notFound();
        case 'not-failed': {
          const executionState = result.state === 'done' ? 'succeeded' : result.state;
          // With the approval as it is, like the 202 (ExecutionNotFailedProblemSchema): the card shows the present state.
          throw new AppError(
            'execution-not-failed',
            409,
            result.state === 'none'
              ? 'This approval has no execution to retry'
              : `Only a failed execution can be retried; this one is ${executionState}`,
            { body: { executionState, approval: await deps.approval(principal.accountId, approvalId) } },
          );
        }
        case 'queued':
          res.status(202).json(await deps.approval(principal.accountId, approvalId));
      }
    },
  );
  return router;
}

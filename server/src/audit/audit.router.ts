import { Router } from 'express';
import { z } from 'zod';
import { APPROVAL_ID_PATTERN } from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import { notFound } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import { parseOrThrow } from '../http/validate.js';
import { verifyChain } from './audit-chain.js';
import type { AuditTrail } from './audit-trail.js';
import { toEventView } from './audit.service.js';

const NoQuery = z.strictObject({});

/** `GET /api/approvals/{approvalId}/events`: the approval's audit trail and whether its chain verifies. */
export function auditRouter(deps: {
  accounts: AccountsService;
  audit: AuditTrail;
  /** Whether the account has this approval (approvals/ provides it). */
  approvalExists: (accountId: string, approvalId: string) => Promise<boolean>;
  limits?: RequestLimits | null;
}) {
  const { accounts, audit } = deps;
  const router = Router();

  router.get(
    '/api/approvals/:approvalId/events',
    requireKey(accounts, ['flow', 'agent'], deps.limits),
    async (req, res) => {
      const principal = principalOf(req);
      const approvalId = req.params['approvalId'];
      if (typeof approvalId !== 'string' || !APPROVAL_ID_PATTERN.test(approvalId)) throw notFound();
      parseOrThrow(NoQuery, req.query);
      const events = await audit.list(principal.accountId, approvalId);
      if (events.length === 0) {
        if (!(await deps.approvalExists(principal.accountId, approvalId))) throw notFound();
      }
      res.status(200).json({ approvalId, events: events.map(toEventView), chain: verifyChain(events) });
    },
  );

  return router;
}

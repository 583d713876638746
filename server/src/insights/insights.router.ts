import { Router } from 'express';
import { InsightsQuerySchema } from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import type { RequestLimits } from '../http/limits.js';
import { parseOrThrow } from '../http/validate.js';
import type { InsightsService } from './insights.js';

/** `GET /api/agent/insights` and `GET /api/agent/insights/suggestions` (agent key). */
export function insightsRouter(deps: {
  accounts: AccountsService;
  insights: InsightsService;
  limits?: RequestLimits | null;
}) {
  const { accounts, insights, limits } = deps;
  const router = Router();
  router.get('/api/agent/insights', requireKey(accounts, ['agent'], limits), async (req, res) => {
    const { days } = parseOrThrow(InsightsQuerySchema, req.query);
    res.json(await insights.read(principalOf(req).accountId, days));
  });
  router.get('/api/agent/insights/suggestions', requireKey(accounts, ['agent'], limits), async (req, res) => {
    const { days } = parseOrThrow(InsightsQuerySchema, req.query);
    res.json(await insights.suggestions(principalOf(req).accountId, days));
  });
  return router;
}

import express, { Router } from 'express';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SlackConnections } from './connections.js';
import type { SlackInteractions } from './interactions.js';
import type { SeenSignatures } from './seen-signatures.js';
import { verifyInteraction } from './verify-interaction.js';

export type SlackRouterDeps = {
  connections: SlackConnections;
  seen: SeenSignatures;
  interactions: SlackInteractions;
  clock: Clock;
  logger: Logger;
};

/**
 * `POST /api/slack/interactions`, Slack's Interactivity Request URL: the raw form body (the signature
 * covers its exact bytes) is verified, answered at once (Slack wants 200 within 3 s) and the work runs
 * after the answer; its outcome reaches the user as an ephemeral message or the message's update.
 */
export function slackRouter(deps: SlackRouterDeps): Router {
  const router = Router();
  router.post('/api/slack/interactions', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { connection, payload } = await verifyInteraction(
      deps,
      rawBody,
      { timestamp: req.get('x-slack-request-timestamp'), signature: req.get('x-slack-signature') },
      deps.clock.now(),
    );
    const { response, work } = deps.interactions.handle(connection, payload);
    if (response) res.status(200).json(response);
    else res.status(200).end();
    if (work) {
      void work().catch((err: unknown) =>
        deps.logger.warn('slack interaction failed', { error: err instanceof Error ? err.message : String(err) }),
      );
    }
  });
  return router;
}

import type { Connection } from 'mongoose';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { slackConnections } from './connections.js';
import { slackInteractions, type SlackApprovals } from './interactions.js';
import { slackRouter } from './interactions.router.js';
import { seenSignatures } from './seen-signatures.js';
import { SIGNATURE_WINDOW_SECONDS } from './signature.js';
import { SlackDispatcher, type SlackApprovalReads, type SlackAttemptEvent } from './slack-dispatcher.js';
import { slackEffects, type PendingOfAccount } from './slack-effects.js';
import { slackIdentities, type ZendeskPeople } from './slack-identity.js';
import { slackOutbox } from './slack-outbox.js';

export type SlackOptions = {
  conn: Connection;
  clock: Clock;
  logger: Logger;
  /** The gateway's metrics registry (gets `cheqpoint_slack_calls_total`). */
  registry: Registry;
  /** The approvals as Slack sees them (the gateway wires the approvals facade). */
  approvals: SlackApprovals & Pick<SlackApprovalReads, 'ticketUrl'>;
  /** Zendesk users by email, for mapping a Slack user to a Zendesk one. */
  people: ZendeskPeople;
  intervalMs: number;
  leaseMs: number;
  timeoutMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  onAttempt?: (event: SlackAttemptEvent) => void;
};

/** How often accepted interaction signatures older than the window are removed. */
const SEEN_SWEEP_MS = 60_000;

/** The optional Slack connection of the gateway: hooks for the approvals, the interactions route, the outbox. */
export function createSlack(options: SlackOptions) {
  const calls = new Counter({
    name: 'cheqpoint_slack_calls_total',
    help: 'Slack outbox attempts (post, update, escalation thread reply) by effect and outcome: done, retry, failed, skipped',
    labelNames: ['effect', 'state'] as const,
    registers: [options.registry],
  });
  const { clock, logger } = options;
  const connections = slackConnections(options.conn, clock);
  const outbox = slackOutbox(options.conn);
  const seen = seenSignatures(options.conn);
  let lastSeenSweep = 0;
  const dispatcher = new SlackDispatcher({
    outbox,
    connections,
    approvals: options.approvals,
    clock,
    logger,
    intervalMs: options.intervalMs,
    leaseMs: options.leaseMs,
    timeoutMs: options.timeoutMs,
    scheduleMs: options.scheduleMs,
    ...(options.random ? { random: options.random } : {}),
    onAttempt: (event) => {
      calls.inc({ effect: event.effect, state: event.state });
      options.onAttempt?.(event);
    },
    beforePoll: async () => {
      const now = clock.now().getTime();
      if (now - lastSeenSweep < SEEN_SWEEP_MS) return;
      lastSeenSweep = now;
      await seen.sweep(new Date(now - 2 * SIGNATURE_WINDOW_SECONDS * 1000));
    },
  });
  const effects = slackEffects({ connections, outbox, dispatcher, clock, logger });
  const identities = slackIdentities({ people: options.people, clock, timeoutMs: options.timeoutMs });
  const interactions = slackInteractions({
    approvals: options.approvals,
    identities,
    clock,
    logger,
    timeoutMs: options.timeoutMs,
  });
  const router = slackRouter({ connections, seen, interactions, clock, logger });
  /** See slackEffects.repairPosts; failures are logged (the next start tries again). */
  const repairPosts = async (pendingOf: PendingOfAccount) => {
    try {
      const queued = await effects.repairPosts(pendingOf, async (accountId, approvalId) => {
        const approval = await options.approvals.get(accountId, approvalId);
        return approval ? { _id: approval.approvalId, accountId, policy: approval.policy } : null;
      });
      if (queued > 0) logger.info('slack posts queued again after a restart', { queued });
    } catch (err) {
      logger.warn('slack posts not repaired', { error: err instanceof Error ? err.message : String(err) });
    }
  };
  return { effects, dispatcher, router, repairPosts };
}
export type Slack = ReturnType<typeof createSlack>;

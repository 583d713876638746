import type { Escalation, PolicyVerdict } from '@cheqpoint/shared';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SlackConnections } from './connections.js';
import type { SlackDispatcher } from './slack-dispatcher.js';
import { slackEntryId, type NewSlackEffect, type SlackOutbox } from './slack-outbox.js';

/**
 * What Slack's effects read of an approval: slack/'s own view, which the approvals' stored documents
 * satisfy as they are, so this folder does not depend on their model.
 */
export type SlackEffectApproval = {
  _id: string;
  accountId: string;
  policy: Pick<PolicyVerdict, 'outcome' | 'notify'> | null;
};
export type SlackEffectDecision = { decidedBy: { type: 'agent' | 'policy' | 'expiry' } };

/** What the repair reads of the approvals still pending in this process's working set. */
export type PendingOfAccount = (accountId: string) => readonly { _id: string; createdAt: Date }[];

export type SlackEffectsDeps = {
  connections: SlackConnections;
  outbox: SlackOutbox;
  dispatcher: SlackDispatcher;
  clock: Clock;
  logger: Logger;
};

/**
 * What Slack is told of an approval, as the hooks the approvals context calls: the post when a
 * person must decide, the update when it is decided (anywhere), a thread reply when it escalates.
 * Each is queued in the Slack outbox (a unique entry per approval and effect, so it is queued once)
 * and sent in the background: an approval and its answer never wait for Slack. Runs in the one
 * process that stored the approval or won its decision.
 */
export function slackEffects(deps: SlackEffectsDeps) {
  /** Intake's queueing of a post, which the decision's queueing waits for. */
  const created = new Map<string, Promise<void>>();

  async function queue(effect: NewSlackEffect) {
    if (await deps.outbox.enqueue(effect, deps.clock.now())) {
      deps.dispatcher.sendNow([slackEntryId(effect.approvalId, effect.effect)]);
    }
  }

  const warn = (approvalId: string) => (err: unknown) =>
    deps.logger.warn('slack effect not queued', {
      approvalId,
      error: err instanceof Error ? err.message : String(err),
    });

  return {
    /**
     * Queues the post of every pending approval (created since its account connected Slack) that has
     * neither a message nor a queued post: what a process killed between storing an approval and
     * queueing its post (onCreated runs after intake, in the background) leaves behind. Run at start;
     * key reads only, over the in-memory pending set; the unique entry makes a second queueing a no-op.
     */
    async repairPosts(
      pendingOf: PendingOfAccount,
      read: (accountId: string, approvalId: string) => Promise<SlackEffectApproval | null>,
    ) {
      let queued = 0;
      for (const connection of await deps.connections.list()) {
        for (const entry of pendingOf(connection._id)) {
          if (entry.createdAt < connection.createdAt) continue;
          if (await deps.outbox.findMessage(entry._id)) continue;
          if (await deps.outbox.find(slackEntryId(entry._id, 'post'))) continue;
          const doc = await read(connection._id, entry._id);
          if (!doc || (doc.policy && doc.policy.outcome !== 'require_human')) continue;
          const channel = doc.policy?.notify?.slack ?? connection.channel;
          await queue({ approvalId: entry._id, accountId: connection._id, effect: 'post', channel });
          queued++;
        }
      }
      return queued;
    },

    onCreated(doc: SlackEffectApproval) {
      // A policy that decided at intake asked nobody: nothing is posted (a dry run still asks a person).
      if (doc.policy && doc.policy.outcome !== 'require_human') return;
      const work = (async () => {
        const connection = await deps.connections.find(doc.accountId);
        if (!connection) return;
        const channel = doc.policy?.notify?.slack ?? connection.channel;
        await queue({ approvalId: doc._id, accountId: doc.accountId, effect: 'post', channel });
      })().catch(warn(doc._id));
      created.set(doc._id, work);
      void work.finally(() => created.delete(doc._id));
    },

    onEscalated(doc: SlackEffectApproval, _escalation: Escalation) {
      void (async () => {
        await created.get(doc._id);
        const connection = await deps.connections.find(doc.accountId);
        if (!connection) return;
        await queue({
          approvalId: doc._id,
          accountId: doc.accountId,
          effect: 'escalation',
          channel: connection.channel,
        });
      })().catch(warn(doc._id));
    },

    onDecided(decision: SlackEffectDecision, doc: SlackEffectApproval) {
      if (decision.decidedBy.type === 'policy') return;
      void (async () => {
        await created.get(doc._id);
        const connection = await deps.connections.find(doc.accountId);
        if (!connection) return;
        await queue({ approvalId: doc._id, accountId: doc.accountId, effect: 'update', channel: connection.channel });
      })().catch(warn(doc._id));
    },
  };
}
export type SlackEffects = ReturnType<typeof slackEffects>;

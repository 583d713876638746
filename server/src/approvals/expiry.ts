import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import type { ApprovalsContext } from './context.js';
import { closeQuorum } from './quorum.js';
import { approvalsRequired } from './quorum-view.js';
import { repairDecided, settle } from './settle.js';

/** "24 h", "90 min", "45 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * The decision in force: `decision` when there is one; for a pending approval past its expiry, the
 * expiry's (rejected, through the same decision insert as people's, so it never overturns one).
 */
export async function expireIfDue(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  decision: DecisionDoc | null,
): Promise<DecisionDoc | null> {
  if (decision || doc.status !== 'pending' || doc.expiresAt > ctx.clock.now()) return decision;
  const lifetime = formatDuration(doc.expiresAt.getTime() - doc.createdAt.getTime());
  const expiry = {
    outcome: 'rejected',
    note: `Expired: nobody decided within ${lifetime}.`,
    modifiedDetailsJson: null,
    decidedBy: { type: 'expiry' },
    decisionRequestId: null,
  } as const;
  const required = approvalsRequired(doc);
  // A quorum's expiry takes its place after the votes, like a rejection: a quorum completed before it
  // (its decider stopped before writing the record) is decided as approved, not expired.
  if (required > 1) return (await closeQuorum(ctx, doc, required, expiry)).decision;
  return (await settle(ctx, doc, expiry)).decision;
}

/**
 * The expiry sweep: expires the pending approvals past their expiry (at most `limit`), taken from the
 * pending set, so it costs what is overdue, not what is stored. Safe with several processes.
 */
export async function expireDue(ctx: ApprovalsContext, limit = 500): Promise<number> {
  let expired = 0;
  for (const entry of ctx.pending.due(ctx.clock.now(), limit)) {
    const found = await ctx.store.findApproval(entry.accountId, entry._id);
    if (!found) {
      // Written before its approval: drop it once the approval can no longer be on its way.
      if (entry.createdAt.getTime() < ctx.clock.now().getTime() - 60_000) await ctx.pending.removeDurable(entry._id);
      continue;
    }
    if (found.decision) {
      await repairDecided(ctx, found.doc, found.decision);
      continue;
    }
    if (found.doc.status !== 'pending') {
      await ctx.pending.removeDurable(entry._id);
      continue;
    }
    const decision = await expireIfDue(ctx, found.doc, null);
    if (decision?.decidedBy.type === 'expiry') expired++;
  }
  return expired;
}

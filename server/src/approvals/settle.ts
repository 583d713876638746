import type { DecidedBy } from '@cheqpoint/shared';
import type { AuditActor } from '../audit/audit-event.model.js';
import type { DecisionRecordEvent, VoteRecord } from '../audit/audit-trail.js';
import { parseActionJson } from '../actions/execution.model.js';
import { newDelivery } from '../callbacks/delivery.model.js';
import { AppError } from '../http/app-error.js';
import { sha256Hex } from '../lib/ids.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import type { ApprovalsContext } from './context.js';
import { approvalsRequired } from './quorum-view.js';
import { tally, voteRecords } from './votes.js';

/** What settles an approval; agent, policy and expiry outcomes all go through the same insert. */
export type Settlement = Pick<
  DecisionDoc,
  'outcome' | 'note' | 'modifiedDetailsJson' | 'decidedBy' | 'decisionRequestId'
>;

/** The audit actor behind a decision. */
function actorOf(by: DecidedBy): AuditActor {
  switch (by.type) {
    case 'agent':
      return { type: 'agent', id: by.id, name: by.name, verified: by.verified === true };
    case 'policy':
      return { type: 'policy', id: by.rule };
    case 'expiry':
      return { type: 'system', name: 'expiry' };
  }
}

function auditOf(decision: DecisionDoc): DecisionRecordEvent {
  const by = decision.decidedBy;
  return {
    kind: by.type === 'expiry' ? 'expired' : 'decided',
    actor: actorOf(by),
    outcome: decision.outcome,
    note: decision.note,
    modifiedDetailsSha256: decision.modifiedDetailsJson ? sha256Hex(decision.modifiedDetailsJson) : null,
    decisionRequestId: decision.decisionRequestId,
    decidedAt: decision.decidedAt,
    authority: by.type === 'agent' ? (by.authority ?? null) : null,
  };
}

/**
 * The one way an approval is decided: insert its decision record, whose `_id` is the approval's, so
 * the first insert wins any race (agents, policy, expiry, several processes). The winner then releases
 * the calls waiting in this process, writes the outcome onto the approval, leaves the pending set,
 * records the audit event (after `votes`, a quorum's counted votes, which it records first where the
 * trail lacks them), tells the other processes (change feed) and sends the first callback attempt.
 * Returns the record in force.
 */
export async function settle(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  settlement: Settlement,
  votes: readonly VoteRecord[] = [],
): Promise<{ isWinner: boolean; decision: DecisionDoc }> {
  const decidedAt = ctx.clock.now();
  const decision: DecisionDoc = {
    _id: doc._id,
    accountId: doc.accountId,
    ...settlement,
    decidedAt,
    delivery: newDelivery(doc._id, doc.callbackUrl, decidedAt),
    execution: ctx.actions.newExecution(parseActionJson(doc.actionJson), settlement.outcome, decidedAt),
  };
  const execution = decision.execution?.state === 'pending' ? decision.execution : null;
  // Outbox entries first: a decision record with a callback or an execution never exists without one.
  await Promise.all([
    doc.callbackUrl ? ctx.outbox.prepare(doc._id, decidedAt) : null,
    execution ? ctx.actions.prepare(doc._id, execution.nextAttemptAt ?? decidedAt) : null,
  ]);
  if (!(await ctx.store.insertDecision(decision))) {
    const winner = await ctx.store.findDecision(doc.accountId, doc._id);
    if (!winner) throw new AppError('already-decided', 409, 'This approval was decided meanwhile');
    return { isWinner: false, decision: winner };
  }
  // The decision record is the truth from here on: release waiting calls with it at once, then
  // denormalise it (a reader that comes first repairs the status from the record).
  ctx.waiter.publish(doc._id, decision);
  await ctx.store.markDecided(decision);
  await Promise.all([
    ctx.pending.removeDurable(doc._id),
    ctx.audit.bestEffort(doc, 'decided', () => ctx.audit.recordDecision(doc, auditOf(decision), votes)),
    announce(ctx, doc, decision),
  ]);
  ctx.onDecided?.(decision, doc);
  if (decision.delivery.state === 'pending') ctx.outbox.sendNow(doc._id);
  if (execution) ctx.actions.runAt(doc._id, execution.nextAttemptAt ?? decidedAt);
  return { isWinner: true, decision };
}

/** Tells the other processes (their held calls and pending sets); a lost one is repaired by their reads. */
async function announce(ctx: ApprovalsContext, doc: ApprovalDoc, decision: DecisionDoc) {
  try {
    await ctx.feed.append({
      kind: 'decided',
      approvalId: doc._id,
      accountId: doc.accountId,
      ticketId: doc.ticketId,
      action: doc.action,
      outcome: decision.outcome,
    });
  } catch {
    // Other processes' waits then answer at their deadline with a read by key; their pending sets
    // drop the approval when a list reads it, or at the next reload.
  }
}

/**
 * On a replay of a decided approval: brings back what the deciding request may not have finished (its
 * status on the approval, its removal from the pending set, its audit event and, for a quorum, the
 * counted votes' events before it, each written once).
 */
export async function repairDecided(ctx: ApprovalsContext, doc: ApprovalDoc, decision: DecisionDoc) {
  if (doc.status === 'pending') await ctx.store.markDecided(decision);
  await ctx.pending.removeDurable(doc._id);
  const required = approvalsRequired(doc);
  // A decided quorum's slots never change again (none is claimed after the one that ended it).
  const votes =
    required > 1 ? voteRecords(tally(await ctx.store.votes.slots(doc._id), required).counted, required) : [];
  await ctx.audit.recordDecision(doc, auditOf(decision), votes);
}

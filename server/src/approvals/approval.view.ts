import { DecidedBySchema, type Approval, type CallbackState, type DecidedBy } from '@cheqpoint/shared';
import { customerReplyView, executionView, outcomePlanOf, parseActionJson } from '../actions/execution.model.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';

const parseObject = (json: string | null) => (json === null ? null : (JSON.parse(json) as Record<string, unknown>));

/** Who decided, as the contract says it: agent decisions stored before `verified` existed read as unverified. */
export const decidedByView = (by: DecidedBy | null): DecidedBy | null => (by ? DecidedBySchema.parse(by) : null);

/** The stored approval, with its decision record when the approval's own status lags behind it. */
export function toApprovalView(doc: ApprovalDoc, decision?: DecisionDoc | null): Approval {
  const decided = decision ?? null;
  const status = decided ? decided.outcome : doc.status;
  return {
    approvalId: doc._id,
    status,
    modifiedDetails: parseObject(decided ? decided.modifiedDetailsJson : doc.modifiedDetailsJson),
    decisionNote: decided ? decided.note : doc.decisionNote,
    decidedBy: decidedByView(decided ? decided.decidedBy : doc.decidedBy),
    action: doc.action,
    summary: doc.summary,
    details: JSON.parse(doc.detailsJson) as Record<string, unknown>,
    justification: doc.justification,
    ticketId: doc.ticketId,
    riskLevel: doc.riskLevel as Approval['riskLevel'],
    priority: doc.priority as Approval['priority'],
    agentName: doc.agentName,
    metadata: parseObject(doc.metadataJson),
    createdAt: doc.createdAt.toISOString(),
    decidedAt: (decided ? decided.decidedAt : doc.decidedAt)?.toISOString() ?? null,
    expiresAt: doc.expiresAt.toISOString(),
    callback: callbackView(doc, decided),
    policy: doc.policy ?? null,
    // The votes are stored apart (approvals/votes.ts); readers that show them fill them in (quorum.ts).
    quorum:
      (doc.policy?.approvalsRequired ?? 1) > 1 ? { required: doc.policy?.approvalsRequired ?? 1, approvals: [] } : null,
    escalatesAt: escalatesAt(doc)?.toISOString() ?? null,
    outcomePlan: doc.actionJson ? outcomePlanOf(parseActionJson(doc.actionJson)) : null,
    execution: executionView(decided?.execution),
    customerReply: customerReplyView(decided?.execution),
  };
}

/** When the deciding rule's escalation applies (recorded at intake: a later policy does not move it). */
export function escalatesAt(doc: Pick<ApprovalDoc, 'policy' | 'createdAt' | 'expiresAt'>): Date | null {
  const after = doc.policy?.escalation?.afterSeconds;
  if (after === undefined) return null;
  const at = new Date(doc.createdAt.getTime() + after * 1000);
  // An approval that expires first never escalates (the expiry outcome applies).
  return at < doc.expiresAt ? at : null;
}

/** The callback's delivery state: from the decision's outbox once decided, `pending` before. */
function callbackView(doc: ApprovalDoc, decision: DecisionDoc | null): CallbackState | null {
  if (!decision) {
    return doc.callbackUrl ? { status: 'pending', attempts: 0, lastError: null, nextAttemptAt: null } : null;
  }
  const delivery = decision.delivery;
  if (delivery.state === 'none' || !delivery.callbackUrl) return null;
  return {
    status: delivery.state,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.state === 'pending' ? (delivery.nextAttemptAt?.toISOString() ?? null) : null,
  };
}

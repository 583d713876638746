import { CALLBACK_EVENT_TYPE, DecidedBySchema, type CallbackBody, type ExecutionState } from '@cheqpoint/shared';
import type { CallbackSubject, DecisionRecord } from './delivery.model.js';

// The body's contract (fields, types) is CallbackBodySchema in shared/, published in the OpenAPI
// document's `webhooks`; this builds it from a stored decision.

const parseObject = (json: string | null) => (json === null ? null : (JSON.parse(json) as Record<string, unknown>));

/** The callback body of a decision, as the exact string that is signed and sent. */
export function callbackBody(
  approval: CallbackSubject,
  decision: DecisionRecord,
  execution: ExecutionState | null = null,
): string {
  const body: CallbackBody = {
    type: CALLBACK_EVENT_TYPE,
    approvalId: approval._id,
    status: decision.outcome,
    modifiedDetails: parseObject(decision.modifiedDetailsJson),
    decisionNote: decision.note,
    // decisions stored before `verified` existed read as unverified
    decidedBy: DecidedBySchema.parse(decision.decidedBy),
    decidedAt: decision.decidedAt.toISOString(),
    action: approval.action,
    details: parseObject(approval.detailsJson) ?? {},
    ticketId: approval.ticketId,
    // Only when Cheqpoint acts on it, so every other callback reads exactly as before.
    ...(execution ? { execution } : {}),
  };
  return JSON.stringify(body);
}

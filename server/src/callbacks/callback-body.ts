import { DecidedBySchema, type ApprovalStatus, type DecidedBy } from '@cheqpoint/shared';
import type { CallbackSubject, DecisionRecord } from './delivery.model.js';

/** Event type of every callback. */
export const CALLBACK_EVENT_TYPE = 'approval.decided';

/** The JSON body POSTed to `callbackUrl` when an approval is decided. */
export type CallbackBody = {
  type: typeof CALLBACK_EVENT_TYPE;
  approvalId: string;
  status: Exclude<ApprovalStatus, 'pending'>;
  modifiedDetails: Record<string, unknown> | null;
  decisionNote: string | null;
  decidedBy: DecidedBy;
  decidedAt: string;
  action: string;
  details: Record<string, unknown>;
  ticketId: string | null;
};

const parseObject = (json: string | null) => (json === null ? null : (JSON.parse(json) as Record<string, unknown>));

/** The callback body of a decision, as the exact string that is signed and sent. */
export function callbackBody(approval: CallbackSubject, decision: DecisionRecord): string {
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
  };
  return JSON.stringify(body);
}

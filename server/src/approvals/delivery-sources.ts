import type { Connection, Model } from 'mongoose';
import type { DeliverySources } from '../callbacks/deliveries.repository.js';
import type { DecisionRecord } from '../callbacks/delivery.model.js';
import { approvalModels, type ApprovalDoc } from './approval.model.js';

/** Where callbacks/ finds the deliveries: the decision records and approvals stored here. */
export function deliverySources(conn: Connection): DeliverySources {
  const { Approval, Decision } = approvalModels(conn);
  return {
    // A decision record is a DecisionRecord plus the request id that made it.
    decisions: Decision as unknown as Model<DecisionRecord>,
    findSubject: (approvalId) => Approval.findById(approvalId).lean<ApprovalDoc>().exec(),
  };
}

import type { Connection, Model } from 'mongoose';
import type { DeliverySources } from '../callbacks/deliveries.repository.js';
import type { DecisionRecord } from '../callbacks/delivery.model.js';
import { executionModels, executionView, type ExecutionDoc } from '../actions/execution.model.js';
import { approvalModels, type ApprovalDoc, type DecisionDoc } from './approval.model.js';

/** Where callbacks/ finds the deliveries: the decision records and approvals stored here. */
export function deliverySources(conn: Connection): DeliverySources {
  const { Approval, Decision } = approvalModels(conn);
  const { Execution } = executionModels(conn);
  return {
    // A decision record is a DecisionRecord plus the request id that made it.
    decisions: Decision as unknown as Model<DecisionRecord>,
    findSubject: (approvalId) => Approval.findById(approvalId).lean<ApprovalDoc>().exec(),
    // The execution's own document, else the copy its decision was inserted with (both by key).
    findExecution: async (approvalId) => {
      const current = await Execution.findById(approvalId).lean<ExecutionDoc>();
      if (current) return executionView(current);
      const decision = await Decision.findById(approvalId, { execution: 1 }).lean<DecisionDoc>();
      return executionView(decision?.execution);
    },
  };
}

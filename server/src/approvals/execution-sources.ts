import type { Connection, Model } from 'mongoose';
import type { ExecutionDecision, ExecutionSources } from '../actions/executions.repository.js';
import { approvalModels, type ApprovalDoc } from './approval.model.js';

/** Where actions/ finds the executions: the decision records and approvals stored here. */
export function executionSources(conn: Connection): ExecutionSources {
  const { Approval, Decision } = approvalModels(conn);
  return {
    // A decision record carries its execution (ExecutionDecision is the part actions/ reads and writes).
    decisions: Decision as unknown as Model<ExecutionDecision>,
    findSubject: (approvalId) => Approval.findById(approvalId).lean<ApprovalDoc>().exec(),
  };
}

import type { Approval } from '@cheqpoint/shared';
import type { ApprovalsContext } from './context.js';

/**
 * A requester call (the flow's key: the intake answer, a status poll) is about to answer with a
 * decision. With `when: late`, that call and the execution race for the same approval (possibly in
 * two processes): whoever inserts the approval's `requester_learned` marker first wins (a unique
 * insert: FerretDB v1 has no atomic filtered findOneAndUpdate, see actions/executions.repository).
 * Won by this call: the AI agent learns the decision and acts itself, so the answer shows the
 * execution skipped and no reply. Won by the execution: the answer carries `execution` as it is, so
 * the flow knows Cheqpoint acts. Pending answers and approvals without a late action race nothing.
 */
export async function answerRequester(ctx: ApprovalsContext, approval: Approval): Promise<Approval> {
  if (approval.status === 'pending' || approval.outcomePlan?.when !== 'late') return approval;
  if (!approval.execution && !approval.customerReply) return approval;
  if (approval.execution?.status === 'skipped') return approval;
  const winner = await ctx.actions.requesterLearned(approval.approvalId);
  switch (winner) {
    case 'execution':
      return approval;
    case 'requester':
      return {
        ...approval,
        execution: approval.execution ? { ...approval.execution, status: 'skipped', nextAttemptAt: null } : null,
        customerReply: null,
      };
  }
}

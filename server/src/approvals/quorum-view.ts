import type { Approval } from '@cheqpoint/shared';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { tally, toVoteView, type SlotDoc } from './votes.js';

/** Distinct agents who must approve, as recorded at intake (older approvals have none recorded: one). */
export const approvalsRequired = (doc: Pick<ApprovalDoc, 'policy'>): number => doc.policy?.approvalsRequired ?? 1;

/** The view with the votes counted so far (no read at all for approvals that need one approver). */
export function withVotes(view: Approval, slots: readonly SlotDoc[]): Approval {
  if (!view.quorum) return view;
  const { counted } = tally(slots, view.quorum.required);
  return { ...view, quorum: { ...view.quorum, approvals: counted.map(toVoteView) } };
}

/** One approval as the API shows it, with its quorum's votes. */
export async function quorumView(ctx: ApprovalsContext, doc: ApprovalDoc, decision: DecisionDoc | null) {
  const view = toApprovalView(doc, decision);
  return view.quorum ? withVotes(view, await ctx.store.votes.slots(doc._id)) : view;
}

/** Fills in the votes of the quorum approvals among `views`, with one read by key for all of them. */
export async function attachVotes(ctx: ApprovalsContext, views: Approval[]): Promise<Approval[]> {
  const ids = views.filter((v) => v.quorum).map((v) => v.approvalId);
  if (ids.length === 0) return views;
  const slots = await ctx.store.votes.slotsOf(ids, 4);
  return views.map((v) => (v.quorum ? withVotes(v, slots.get(v.approvalId) ?? []) : v));
}

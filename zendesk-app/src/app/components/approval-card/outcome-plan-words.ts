import type { ApprovalView } from '../../api/approval-view';
import { humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';

/**
 * What deciding will make Cheqpoint do, said before deciding from the plan fixed at intake (README "Late
 * decisions"): "Approving will send “Cancel subscription” to Billing and reply to the customer.",
 * "Rejecting will reply to the customer.", and for `when: late` that it happens only if the AI agent no
 * longer waits (a decision it still waits for reaches it, and it acts itself).
 */
export function planLines(approval: ApprovalView, t: Translate): string[] {
  const plan = approval.outcomePlan;
  if (!plan) return [];
  const lines: string[] = [];
  if (plan.execute) {
    const values = { action: humanizeAction(approval.action), system: plan.execute.name };
    lines.push(t(plan.reply.approved ? 'plan_execute_reply' : 'plan_execute', values));
  } else if (plan.reply.approved) lines.push(t('plan_reply'));
  if (plan.reply.rejected) lines.push(t('plan_reject_reply'));
  if (lines.length > 0 && plan.when === 'late') lines.push(t('plan_late'));
  return lines;
}

/** States the agent should see without opening the card: under way, or failed (a failed execution has Retry). */
const OPEN_STATES: readonly string[] = ['pending', 'failed'];

/**
 * A decided card stays open (the sidebar folds it otherwise) while what Cheqpoint does about it is under
 * way or failed, so the agent who just approved sees "Billing: sending…" turn into "Done", or the Retry.
 */
export const isOutcomeOpen = (approval: ApprovalView) =>
  OPEN_STATES.includes(approval.execution?.status ?? '') || OPEN_STATES.includes(approval.customerReply?.status ?? '');

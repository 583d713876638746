import type { Approval, DecisionChannel, ParsedDecisionRequest } from '@cheqpoint/shared';
import { STATUS_OF_DECISION } from '@cheqpoint/shared';
import type { Principal } from '../accounts/accounts.service.js';
import { AppError, notFound } from '../http/app-error.js';
import { assertModifiedDetailsAllowed } from '../policies/edit-limits.js';
import { evaluatePolicy } from '../policies/policy.evaluator.js';
import type { ApprovalDoc } from './approval.model.js';
import type { ApprovalsContext } from './context.js';
import { assertMayDecide } from './authority.js';
import { conflictOrReplay } from './conflict.js';
import { expireIfDue } from './expiry.js';
import { closeQuorum, voteToApprove } from './quorum.js';
import { approvalsRequired, quorumView } from './quorum-view.js';
import { settle } from './settle.js';
import type { VoteAgent } from './votes.js';

/**
 * An agent's decision. The first decision record inserted wins; a later one gets 409 with the current
 * approval, except a retry of the winner (same Idempotency-Key), which replays it.
 */
export async function decideApproval(
  ctx: ApprovalsContext,
  principal: Principal,
  approvalId: string,
  body: Omit<ParsedDecisionRequest, 'channel'> & {
    /** Where the person decided (the app's `sidebar`/`queue`, the gateway's `slack`); absent: `api`. */
    channel?: DecisionChannel;
    agent: { verified?: boolean; slackUserId?: string };
  },
  decisionRequestId: string | null,
): Promise<{ approval: Approval; isReplay: boolean }> {
  const found = await ctx.store.findApproval(principal.accountId, approvalId);
  if (!found) throw notFound();
  const current = await expireIfDue(ctx, found.doc, found.decision);
  if (current) return conflictOrReplay(ctx, found.doc, current, decisionRequestId);
  // Authority before anything is written: a person who may not decide leaves no vote and no decision.
  const authority = await assertMayDecide(ctx, found.doc, body.agent);
  const agent: VoteAgent & { channel?: DecisionChannel; slackUserId?: string } = {
    id: body.agent.id,
    name: body.agent.name,
    ...(body.agent.email ? { email: body.agent.email } : {}),
    // true only when the identity came signed: a Zendesk session (zendesk/verified-decider) or Slack (slack/)
    verified: body.agent.verified === true,
    ...(authority ? { authority } : {}),
    // Recorded only when the caller said where (absent reads as `api`), so other decisions read as before.
    ...(body.channel ? { channel: body.channel } : {}),
    ...(body.agent.slackUserId ? { slackUserId: body.agent.slackUserId } : {}),
  };
  const note = body.note?.trim() ? body.note.trim() : null;
  const required = approvalsRequired(found.doc);
  if (required > 1 && body.modifiedDetails) {
    // Every approver of a quorum approves the same thing: the request as it was made.
    throw new AppError(
      'unprocessable',
      422,
      `modifiedDetails is not allowed: this approval needs ${required} approvers`,
      {
        errors: [{ path: 'modifiedDetails', message: 'Not allowed on an approval that needs several approvers' }],
      },
    );
  }
  if (required > 1) {
    switch (body.decision) {
      case 'approve':
        return voteToApprove(ctx, found.doc, required, agent, note, decisionRequestId);
      case 'reject':
        return rejectQuorum(ctx, found.doc, required, agent, note, decisionRequestId);
    }
  }
  if (body.modifiedDetails) {
    const details = JSON.parse(found.doc.detailsJson) as Record<string, unknown>;
    const stored = (await ctx.policies.getPolicy(principal.accountId)) ?? null;
    const { editableFields } = evaluatePolicy(stored?.policy ?? null, { action: found.doc.action, details });
    assertModifiedDetailsAllowed(editableFields, details, body.modifiedDetails);
  }
  if (ctx.decideDelayMs) await new Promise((r) => setTimeout(r, ctx.decideDelayMs));

  const settled = await settle(ctx, found.doc, {
    outcome: STATUS_OF_DECISION[body.decision],
    note,
    modifiedDetailsJson: body.modifiedDetails ? JSON.stringify(body.modifiedDetails) : null,
    decidedBy: { type: 'agent', ...agent },
    decisionRequestId,
  });
  if (!settled.isWinner) return conflictOrReplay(ctx, found.doc, settled.decision, decisionRequestId);
  return { approval: await quorumView(ctx, found.doc, settled.decision), isReplay: false };
}

/**
 * Any one rejection ends a quorum approval, at its place in the order of the votes (a closing slot,
 * see closeQuorum): the votes before it stay counted, and a vote that completed the quorum first wins.
 */
async function rejectQuorum(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  required: number,
  agent: VoteAgent,
  note: string | null,
  decisionRequestId: string | null,
): Promise<{ approval: Approval; isReplay: boolean }> {
  const { decision, isCloser } = await closeQuorum(ctx, doc, required, {
    outcome: 'rejected',
    note,
    modifiedDetailsJson: null,
    decidedBy: { type: 'agent', ...agent },
    decisionRequestId,
  });
  if (!isCloser) return conflictOrReplay(ctx, doc, decision, decisionRequestId);
  return { approval: await quorumView(ctx, doc, decision), isReplay: false };
}

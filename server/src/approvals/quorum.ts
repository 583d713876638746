import type { Approval } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import type { ApprovalDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { conflictOrReplay } from './conflict.js';
import { withVotes } from './quorum-view.js';
import { settle } from './settle.js';
import { countedVotes, type VoteAgent, type VoteSlotDoc } from './votes.js';

/** The first slot of each agent is the one that counts. */
const firstOf = (slots: readonly VoteSlotDoc[], agentId: string) => slots.find((s) => s.agent.id === agentId) ?? null;

/**
 * An `approve` on an approval that needs `required` distinct agents: recorded as a vote, and the
 * approval is decided (through `settle`, whose decision insert stays the one arbiter) once `required`
 * agents have voted. Votes are slots claimed by unique insert and counted from the database by key, so
 * votes arriving on several processes at once are all counted, each agent once; a rejection racing the
 * last vote is settled by the same decision insert, so there is exactly one outcome. Every approver
 * approves the request as it was made (modifiedDetails is refused before this, see decideApproval).
 */
export async function voteToApprove(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  required: number,
  agent: VoteAgent,
  note: string | null,
  decisionRequestId: string | null,
): Promise<{ approval: Approval; isReplay: boolean }> {
  const { votes } = ctx.store;
  const at = ctx.clock.now();
  // The per-agent insert turns a repeated vote away without a slot; a failed one is not trusted alone:
  // a first attempt may have stopped before its slot, so the slots decide whether this agent counts.
  await votes.claimVoter(doc._id, agent.id, decisionRequestId, at);
  let slots = await votes.slots(doc._id);
  let claimed: VoteSlotDoc | null = null;
  if (!firstOf(slots, agent.id)) {
    if (ctx.decideDelayMs) await new Promise((r) => setTimeout(r, ctx.decideDelayMs));
    claimed = await votes.claimSlot(
      { approvalId: doc._id, accountId: doc.accountId, agent, note, decisionRequestId, at },
      slots.length + 1,
    );
    // Read again: the same agent may have voted in another request meanwhile (its first slot counts).
    slots = await votes.slots(doc._id);
  }
  const mine = firstOf(slots, agent.id) as VoteSlotDoc;
  const isMine = claimed
    ? mine._id === claimed._id
    : decisionRequestId !== null && mine.decisionRequestId === decisionRequestId;
  if (!isMine) return alreadyVoted(ctx, doc, agent, required, slots, decisionRequestId);
  if (claimed) {
    const vote = claimed;
    await ctx.audit.bestEffort(doc, 'voted', () =>
      ctx.audit.recordVote(doc, { agent, note: vote.note, slot: vote.n, required, decisionRequestId, at }),
    );
  }

  const counted = countedVotes(slots);
  if (counted.length < required) {
    // Not decided by votes yet; a rejection or the expiry may have decided it meanwhile.
    const decision = await ctx.store.findDecision(doc.accountId, doc._id);
    if (decision) return conflictOrReplay(ctx, doc, decision, decisionRequestId);
    if (claimed) await announceVote(ctx, doc);
    return { approval: withVotes(toApprovalView(doc), slots), isReplay: !claimed };
  }
  // The quorum is complete: the vote that completed it decides (whoever writes the record, so a process
  // that stopped before settling is completed by the next voter, with the same record).
  const last = counted[required - 1] as VoteSlotDoc;
  const settled = await settle(ctx, doc, {
    outcome: 'approved',
    note: last.note,
    modifiedDetailsJson: null,
    decidedBy: { type: 'agent', ...last.agent },
    decisionRequestId: last.decisionRequestId,
  });
  // This vote counted and the quorum decided: success for every voter in it, whoever wrote the record.
  const counts = counted.slice(0, required).some((s) => s._id === mine._id);
  const { decision } = settled;
  const byQuorum =
    decision.outcome === 'approved' && decision.decidedBy.type === 'agent' && decision.decidedBy.id === last.agent.id;
  if (counts && byQuorum) return { approval: withVotes(toApprovalView(doc, decision), slots), isReplay: !claimed };
  return conflictOrReplay(ctx, doc, decision, decisionRequestId);
}

/** Wakes the held lists of every process, so other agents' sidebars show the progress. */
async function announceVote(ctx: ApprovalsContext, doc: ApprovalDoc) {
  try {
    await ctx.feed.append({
      kind: 'voted',
      approvalId: doc._id,
      accountId: doc.accountId,
      ticketId: doc.ticketId,
      action: doc.action,
    });
  } catch {
    // The vote is stored; a list read later (or the decision's change) shows it.
  }
}

/** 409 for an agent's second vote (or the approval as it is, when it was decided meanwhile). */
async function alreadyVoted(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  agent: VoteAgent,
  required: number,
  slots: readonly VoteSlotDoc[],
  decisionRequestId: string | null,
): Promise<{ approval: Approval; isReplay: boolean }> {
  const decision = await ctx.store.findDecision(doc.accountId, doc._id);
  if (decision) return conflictOrReplay(ctx, doc, decision, decisionRequestId);
  const missing = Math.max(1, required - countedVotes(slots).length);
  throw new AppError(
    'already-decided',
    409,
    `${agent.name} has already approved this approval; it needs ${missing} more ${missing === 1 ? 'approval' : 'approvals'} from other agents`,
    { body: { reason: 'already-voted', approval: withVotes(toApprovalView(doc, decision), slots) } },
  );
}

import type { Approval } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { conflictOrReplay } from './conflict.js';
import { withVotes } from './quorum-view.js';
import { settle } from './settle.js';
import {
  firstVoteOf,
  tally,
  voteRecords,
  type Closing,
  type SlotDoc,
  type Tally,
  type VoteAgent,
  type VoteSlotDoc,
} from './votes.js';

type Ended = Exclude<Tally, { kind: 'open' }>;

/** What a complete or closed tally decides: the same record whoever writes it. */
function settlementOf(ended: Ended): Closing {
  switch (ended.kind) {
    case 'approved': {
      // The vote that completed the quorum decides.
      const last = ended.counted.at(-1) as VoteSlotDoc;
      return {
        outcome: 'approved',
        note: last.note,
        modifiedDetailsJson: null,
        decidedBy: { type: 'agent', ...last.agent },
        decisionRequestId: last.decisionRequestId,
      };
    }
    case 'closed':
      return ended.closing.closes;
  }
}

/**
 * Decides a quorum approval as its slots say (through `settle`, whose decision insert writes the one
 * record), with its counted votes' audit events before the decision's. Any process may do it: one that
 * stopped between the ending slot and the decision is completed by the next one that reads the slots.
 */
async function finish(ctx: ApprovalsContext, doc: ApprovalDoc, ended: Ended, required: number): Promise<DecisionDoc> {
  const settled = await settle(ctx, doc, settlementOf(ended), voteRecords(ended.counted, required));
  return settled.decision;
}

/**
 * An `approve` on an approval that needs `required` distinct agents: a vote, counted when it claims a
 * slot while the quorum is still open (see VoteStore.claimSlot, the arbiter), and only then stored and
 * audited; the vote whose slot completes the quorum decides it. A vote that finds the quorum complete
 * or closed (a rejection, the expiry) gets 409 with the approval as it is. Every approver approves the
 * request as it was made (modifiedDetails is refused before this, see decideApproval).
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
  // The per-agent record is not trusted alone: a first attempt may have stopped before its slot, so the
  // slots decide whether this agent counts (at its first slot, whichever request claimed it).
  await votes.claimVoter(doc._id, agent.id, decisionRequestId, at);
  let slots: SlotDoc[] = await votes.slots(doc._id);
  let claimed: SlotDoc | null = null;
  if (!firstVoteOf(slots, agent.id) && tally(slots, required).kind === 'open') {
    if (ctx.decideDelayMs) await new Promise((r) => setTimeout(r, ctx.decideDelayMs));
    ({ slot: claimed, slots } = await votes.claimSlot(
      { approvalId: doc._id, accountId: doc.accountId, agent, note, decisionRequestId, at },
      slots,
      required,
    ));
  }
  // The same agent may have voted in another request meanwhile: its first slot counts, not this one.
  const mine = firstVoteOf(slots, agent.id);
  const isMine =
    mine !== null &&
    (claimed ? mine._id === claimed._id : decisionRequestId !== null && mine.decisionRequestId === decisionRequestId);

  const counts = tally(slots, required);
  switch (counts.kind) {
    case 'open': {
      if (!isMine) return alreadyVoted(doc, agent, required, slots);
      // This vote counts: its `voted` event (and any earlier counted vote's a stopped voter left out).
      await ctx.audit.bestEffort(doc, 'voted', () => ctx.audit.recordVotes(doc, voteRecords(counts.counted, required)));
      if (claimed) await announceVote(ctx, doc);
      return { approval: withVotes(toApprovalView(doc), slots), isReplay: !claimed };
    }
    case 'approved':
    case 'closed': {
      const decision = await finish(ctx, doc, counts, required);
      // A vote that counted in the quorum that decided: success for every voter in it, whoever wrote the record.
      const last = counts.counted.at(-1);
      const byQuorum =
        counts.kind === 'approved' &&
        decision.outcome === 'approved' &&
        decision.decidedBy.type === 'agent' &&
        decision.decidedBy.id === last?.agent.id;
      if (isMine && byQuorum) return { approval: withVotes(toApprovalView(doc, decision), slots), isReplay: !claimed };
      return conflictOrReplay(ctx, doc, decision, decisionRequestId);
    }
  }
}

/**
 * Ends a quorum approval before it is complete (a rejection, the expiry): claims the next slot as the
 * closing one, so the rejection takes its place in the one order of the slots — votes after it never
 * count, votes before it did — and decides as the slots say. `isCloser` is false when the quorum was
 * complete or closed before (then `decision` is what that decided).
 */
export async function closeQuorum(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  required: number,
  closing: Closing,
): Promise<{ decision: DecisionDoc; isCloser: boolean }> {
  const { votes } = ctx.store;
  let slots: SlotDoc[] = await votes.slots(doc._id);
  let claimed: SlotDoc | null = null;
  if (tally(slots, required).kind === 'open') {
    if (ctx.decideDelayMs) await new Promise((r) => setTimeout(r, ctx.decideDelayMs));
    ({ slot: claimed, slots } = await votes.claimSlot(
      { approvalId: doc._id, accountId: doc.accountId, at: ctx.clock.now(), closes: closing },
      slots,
      required,
    ));
  }
  const counts = tally(slots, required);
  if (counts.kind === 'open') throw new Error(`The quorum of ${doc._id} is still open after its closing slot`);
  return { decision: await finish(ctx, doc, counts, required), isCloser: claimed !== null };
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

/** 409 for an agent's second vote while the quorum is open. */
function alreadyVoted(doc: ApprovalDoc, agent: VoteAgent, required: number, slots: readonly SlotDoc[]): never {
  const missing = Math.max(1, required - tally(slots, required).counted.length);
  throw new AppError(
    'already-decided',
    409,
    `${agent.name} has already approved this approval; it needs ${missing} more ${missing === 1 ? 'approval' : 'approvals'} from other agents`,
    { body: { reason: 'already-voted', approval: withVotes(toApprovalView(doc), slots) } },
  );
}

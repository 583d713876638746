import { Schema, type Connection, type Model } from 'mongoose';
import type { QuorumVote } from '@cheqpoint/shared';
import { findByIds } from '../db/find-by-ids.js';
import { insertUnique } from '../db/insert-unique.js';

/** The agent a vote counts for. */
export type VoteAgent = { id: string; name: string; email?: string | null; verified: boolean; authority?: string };

/**
 * One counted approval of a quorum approval: slot n of the approval (`<approvalId>:vote:<n>`, n = 1, 2,
 * 3 …), claimed by unique insert at the first free position, so the slots have no holes and every
 * process reads the same votes in the same order by key (FerretDB v1 has no transactions and applies a
 * filtered update as read, modify, write back, so a counter field could lose a vote; an insert cannot).
 */
export type VoteSlotDoc = {
  _id: string;
  approvalId: string;
  accountId: string;
  n: number;
  agent: VoteAgent;
  note: string | null;
  decisionRequestId: string | null;
  at: Date;
};

/**
 * One per agent and approval (`<approvalId>:agent:<agentId>`): a second vote of the same agent is
 * refused by this insert before it claims a slot. Counting still de-duplicates slots by agent, so a
 * vote whose first attempt stopped between the two inserts (a crash) can be completed by a retry
 * without ever counting twice.
 */
export type VoterDoc = { _id: string; approvalId: string; decisionRequestId: string | null; at: Date };

const slotSchema = new Schema<VoteSlotDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    accountId: { type: String, required: true },
    n: { type: Number, required: true },
    agent: { type: Schema.Types.Mixed, required: true },
    note: { type: String, default: null },
    decisionRequestId: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'approval_votes', strict: 'throw' },
);

const voterSchema = new Schema<VoterDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    decisionRequestId: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'approval_voters', strict: 'throw' },
);
// No secondary indexes: both are read and written by `_id` only.

/** Most slots one approval may hold: every approver once, plus room for retried or repeated attempts. */
const MAX_SLOTS = 200;

const slotId = (approvalId: string, n: number) => `${approvalId}:vote:${n}`;

/** The approvals counted, in slot order, one per agent (a later slot of the same agent does not count). */
export function countedVotes(slots: readonly VoteSlotDoc[]): VoteSlotDoc[] {
  const seen = new Set<string>();
  return slots.filter((slot) => {
    if (seen.has(slot.agent.id)) return false;
    seen.add(slot.agent.id);
    return true;
  });
}

/** A counted vote as the API shows it. */
export const toVoteView = (slot: VoteSlotDoc): QuorumVote => ({
  agent: {
    id: slot.agent.id,
    name: slot.agent.name,
    ...(slot.agent.email ? { email: slot.agent.email } : {}),
    verified: slot.agent.verified === true,
    ...(slot.agent.authority ? { authority: slot.agent.authority } : {}),
  },
  at: slot.at.toISOString(),
  note: slot.note,
});

export function voteStore(conn: Connection) {
  const Slot = (conn.models['VoteSlot'] ?? conn.model<VoteSlotDoc>('VoteSlot', slotSchema)) as Model<VoteSlotDoc>;
  const Voter = (conn.models['Voter'] ?? conn.model<VoterDoc>('Voter', voterSchema)) as Model<VoterDoc>;

  /** Every approval's slots, by key: `batch` ids per approval per query, more only for approvals that filled them. */
  async function slotsOf(approvalIds: readonly string[], batch: number): Promise<Map<string, VoteSlotDoc[]>> {
    const out = new Map<string, VoteSlotDoc[]>(approvalIds.map((id) => [id, []]));
    let open = [...new Set(approvalIds)];
    for (let from = 1; open.length > 0 && from <= MAX_SLOTS; from += batch) {
      const ids = open.flatMap((id) => Array.from({ length: batch }, (_, i) => slotId(id, from + i)));
      const found = await findByIds(Slot, ids);
      open = open.filter((id) => {
        const slots = out.get(id) as VoteSlotDoc[];
        for (let i = 0; i < batch; i++) {
          const slot = found.get(slotId(id, from + i));
          if (slot) slots.push(slot);
        }
        // Slots have no holes: a batch that is not full is the end.
        return slots.length === from + batch - 1;
      });
    }
    return out;
  }

  return {
    /** Records that this agent votes on the approval; false when the agent did so already. */
    claimVoter: (approvalId: string, agentId: string, decisionRequestId: string | null, at: Date) =>
      insertUnique(Voter, { _id: `${approvalId}:agent:${agentId}`, approvalId, decisionRequestId, at }),

    /** The approval's slots in order. */
    async slots(approvalId: string, batch = 16): Promise<VoteSlotDoc[]> {
      return (await slotsOf([approvalId], batch)).get(approvalId) ?? [];
    },

    /** Several approvals' slots at once (one query for all while each has fewer than `batch`). */
    slotsOf,

    /**
     * Claims the first free slot from `from` on (two voters racing for one slot: one gets it, the other
     * takes the next) and returns the stored slot.
     */
    async claimSlot(vote: Omit<VoteSlotDoc, '_id' | 'n'>, from: number): Promise<VoteSlotDoc> {
      for (let n = Math.max(1, from); n <= MAX_SLOTS; n++) {
        const slot: VoteSlotDoc = { _id: slotId(vote.approvalId, n), n, ...vote };
        if (await insertUnique(Slot, slot)) return slot;
      }
      throw new Error(`Could not record a vote on ${vote.approvalId}: it has ${MAX_SLOTS} already`);
    },
  };
}
export type VoteStore = ReturnType<typeof voteStore>;

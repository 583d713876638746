import { Schema, type Connection, type Model } from 'mongoose';
import type { QuorumVote } from '@cheqpoint/shared';
import type { VoteRecord } from '../audit/audit-trail.js';
import { findByIds } from '../db/find-by-ids.js';
import { insertUnique } from '../db/insert-unique.js';
import type { DecisionDoc } from './approval.model.js';

/** The agent a vote counts for. */
export type VoteAgent = { id: string; name: string; email?: string | null; verified: boolean; authority?: string };

/** What a closing slot decides: the decision record's content, as settle takes it. */
export type Closing = Pick<DecisionDoc, 'outcome' | 'note' | 'modifiedDetailsJson' | 'decidedBy' | 'decisionRequestId'>;

type SlotBase = { _id: string; approvalId: string; accountId: string; n: number; at: Date };

/**
 * Slot n of a quorum approval (`<approvalId>:vote:<n>`, n = 1, 2, 3 …), claimed by unique insert at
 * the first free position, so the slots have no holes and every process reads the same slots in the
 * same order by key (FerretDB v1 has no transactions and applies a filtered update as read, modify,
 * write back, so a counter field could lose a vote; an insert cannot). The slot order is the one
 * total order of everything that decides a quorum approval: its approvals (vote slots) and what ends
 * it otherwise (a closing slot: a rejection or the expiry). See `tally`.
 */
export type VoteSlotDoc = SlotBase & {
  agent: VoteAgent;
  note: string | null;
  decisionRequestId: string | null;
  closes?: undefined;
};
/** The slot that ends a quorum before it is complete; stored slots from before closings existed have none. */
export type ClosingSlotDoc = SlotBase & { closes: Closing };
export type SlotDoc = VoteSlotDoc | ClosingSlotDoc;

/** A slot about to be claimed (its position is found by the claim). */
export type SlotEntry = Omit<VoteSlotDoc, '_id' | 'n'> | Omit<ClosingSlotDoc, '_id' | 'n'>;

/**
 * What the slots say, read in order: `open` while fewer than `required` distinct agents approved and
 * nothing closed it; `approved` at the slot of the `required`-th distinct agent; `closed` at the
 * first closing slot. `counted` are the votes that count, one per agent (its first slot), in order:
 * exactly the votes before the end. A later slot of an agent already counted is not a vote.
 */
export type Tally =
  | { kind: 'open'; counted: VoteSlotDoc[] }
  | { kind: 'approved'; counted: VoteSlotDoc[] }
  | { kind: 'closed'; counted: VoteSlotDoc[]; closing: ClosingSlotDoc };

export function tally(slots: readonly SlotDoc[], required: number): Tally {
  const counted: VoteSlotDoc[] = [];
  const seen = new Set<string>();
  for (const slot of slots) {
    if (slot.closes) return { kind: 'closed', counted, closing: slot };
    if (seen.has(slot.agent.id)) continue;
    seen.add(slot.agent.id);
    counted.push(slot);
    // Slots stored before slots were bounded may go on past this one: they never counted.
    if (counted.length >= required) return { kind: 'approved', counted };
  }
  return { kind: 'open', counted };
}

/** The first vote slot of the agent (the one that counts), or null. */
export const firstVoteOf = (slots: readonly SlotDoc[], agentId: string): VoteSlotDoc | null =>
  slots.find((s): s is VoteSlotDoc => !s.closes && s.agent.id === agentId) ?? null;

/** The counted votes as the audit trail records them (`voted` events). */
export const voteRecords = (counted: readonly VoteSlotDoc[], required: number): VoteRecord[] =>
  counted.map((slot) => ({
    agent: slot.agent,
    note: slot.note,
    slot: slot.n,
    required,
    decisionRequestId: slot.decisionRequestId,
    at: slot.at,
  }));

/**
 * One per agent and approval (`<approvalId>:agent:<agentId>`), written before the agent's slot. Counting
 * de-duplicates slots by agent, so a vote whose first attempt stopped between the two inserts (a crash)
 * can be completed by a retry without ever counting twice.
 */
export type VoterDoc = { _id: string; approvalId: string; decisionRequestId: string | null; at: Date };

const slotSchema = new Schema<VoteSlotDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    accountId: { type: String, required: true },
    n: { type: Number, required: true },
    agent: { type: Schema.Types.Mixed },
    note: { type: String, default: null },
    decisionRequestId: { type: String, default: null },
    closes: { type: Schema.Types.Mixed },
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

/** Most slots one approval may hold: every approver once, plus room for repeated concurrent attempts. */
const MAX_SLOTS = 200;

const slotId = (approvalId: string, n: number) => `${approvalId}:vote:${n}`;

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
  const Slot = (conn.models['VoteSlot'] ?? conn.model<VoteSlotDoc>('VoteSlot', slotSchema)) as Model<SlotDoc>;
  const Voter = (conn.models['Voter'] ?? conn.model<VoterDoc>('Voter', voterSchema)) as Model<VoterDoc>;

  /** Every approval's slots, by key: `batch` ids per approval per query, more only for approvals that filled them. */
  async function slotsOf(approvalIds: readonly string[], batch: number): Promise<Map<string, SlotDoc[]>> {
    const out = new Map<string, SlotDoc[]>(approvalIds.map((id) => [id, []]));
    let open = [...new Set(approvalIds)];
    for (let from = 1; open.length > 0 && from <= MAX_SLOTS; from += batch) {
      const ids = open.flatMap((id) => Array.from({ length: batch }, (_, i) => slotId(id, from + i)));
      const found = await findByIds(Slot, ids);
      open = open.filter((id) => {
        const slots = out.get(id) as SlotDoc[];
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
    async slots(approvalId: string, batch = 16): Promise<SlotDoc[]> {
      return (await slotsOf([approvalId], batch)).get(approvalId) ?? [];
    },

    /** Several approvals' slots at once (one query for all while each has fewer than `batch`). */
    slotsOf,

    /**
     * Claims the next slot after `known` (the approval's slots as last read, from slot 1 on) while the
     * tally of the slots before it is open; returns the slot claimed (null when the quorum was complete
     * or closed before a free slot was found) and the slots up to it.
     *
     * The race arbiter of a quorum: slot n is inserted only by a claimer that read slots 1 … n-1 (which
     * never change: insert-only) and found them open, and the unique `_id` lets exactly one claimer have
     * position n. So no slot exists after the one that completed or closed the quorum, at most `required`
     * distinct agents ever hold slots, and a vote that lost its position reads the winner's slot and
     * judges again with it: every process sees the same order, and the same outcome.
     */
    async claimSlot(
      entry: SlotEntry,
      known: readonly SlotDoc[],
      required: number,
    ): Promise<{ slot: SlotDoc | null; slots: SlotDoc[] }> {
      const slots = [...known];
      while (slots.length < MAX_SLOTS) {
        if (tally(slots, required).kind !== 'open') return { slot: null, slots };
        const n = slots.length + 1;
        const slot = { _id: slotId(entry.approvalId, n), n, ...entry } as SlotDoc;
        if (await insertUnique(Slot, slot)) return { slot, slots: [...slots, slot] };
        const taken = await Slot.findById(slot._id).lean<SlotDoc>();
        if (!taken) throw new Error(`Vote slot ${slot._id} was taken but cannot be read`);
        slots.push(taken);
      }
      throw new Error(`Could not record a vote on ${entry.approvalId}: it has ${MAX_SLOTS} slots already`);
    },
  };
}
export type VoteStore = ReturnType<typeof voteStore>;

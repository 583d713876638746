import type { Connection } from 'mongoose';
import { firstMissing } from '../db/dense-keys.js';
import { findByIds } from '../db/find-by-ids.js';
import { insertUnique } from '../db/insert-unique.js';
import { approvalModels } from './approval.model.js';

/** Tickets whose slot count this process remembers (a hint; a wrong one costs a few lookups). */
const HINTS_KEPT = 10_000;
/** Slots read per query when listing a ticket. */
const SLOT_BATCH = 256;

/**
 * A ticket's approvals by key: slot n of a ticket (`<accountId>:<ticketId>:<n>`, n = 1, 2, 3 …) names
 * its n-th approval. Intake claims the first free slot by unique insert (two intakes racing for one
 * slot: one gets it, the other takes the next), so the slots of a ticket have no holes and the sidebar
 * reads them by `_id` instead of querying every approval ever stored.
 */
export function ticketSlots(conn: Connection) {
  const { TicketSlot } = approvalModels(conn);
  const hints = new Map<string, number>();

  const slotId = (accountId: string, ticketId: string, n: number) => `${accountId}:${ticketId}:${n}`;
  const ticketKey = (accountId: string, ticketId: string) => `${accountId}:${ticketId}`;

  function remember(key: string, count: number) {
    hints.delete(key);
    hints.set(key, count);
    if (hints.size > HINTS_KEPT) hints.delete(hints.keys().next().value as string);
  }

  /** How many slots the ticket has. */
  async function count(accountId: string, ticketId: string): Promise<number> {
    const key = ticketKey(accountId, ticketId);
    const exists = async (n: number) =>
      (await TicketSlot.findById(slotId(accountId, ticketId, n), { _id: 1 }).lean()) !== null;
    const total = (await firstMissing(exists, hints.get(key) ?? 0)) - 1;
    remember(key, total);
    return total;
  }

  /** Claims of one ticket in this process run one after the other, so they do not race each other. */
  const queues = new Map<string, Promise<unknown>>();

  async function claimNext(accountId: string, ticketId: string, approvalId: string, at: Date): Promise<number> {
    // Straight at the slot after the last one this process saw (slots are never removed, so it cannot
    // be past the end): no lookup at all while this process is the ticket's only writer.
    let n = (hints.get(ticketKey(accountId, ticketId)) ?? 0) + 1;
    for (let attempt = 1; attempt <= 200; attempt++) {
      if (await insertUnique(TicketSlot, { _id: slotId(accountId, ticketId, n), approvalId, createdAt: at })) {
        remember(ticketKey(accountId, ticketId), n);
        return n;
      }
      // Taken (by another process, or before this one started): the first free slot is further on.
      n = attempt % 5 === 1 ? (await count(accountId, ticketId)) + 1 : n + 1;
    }
    throw new Error(`Could not claim a slot of ticket ${ticketId}: too many concurrent intakes`);
  }

  return {
    /** Gives the approval the ticket's next slot (once per approval is the caller's concern). */
    claim(accountId: string, ticketId: string, approvalId: string, at: Date): Promise<number> {
      const key = ticketKey(accountId, ticketId);
      const previous = queues.get(key) ?? Promise.resolve();
      const claimed = previous.catch(() => {}).then(() => claimNext(accountId, ticketId, approvalId, at));
      const settled = claimed.catch(() => {});
      queues.set(key, settled);
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return claimed;
    },

    /**
     * Ids of the ticket's latest `max` approvals, newest first (each once): its slots read in batches of
     * 256 keys by `$in` (one query for any ticket with fewer slots than that).
     */
    async approvalIds(accountId: string, ticketId: string, max: number): Promise<string[]> {
      const slots: { n: number; approvalId: string }[] = [];
      for (let from = 1; ; from += SLOT_BATCH) {
        const ids = Array.from({ length: SLOT_BATCH }, (_, i) => slotId(accountId, ticketId, from + i));
        const found = await findByIds(TicketSlot, ids);
        for (const [i, id] of ids.entries()) {
          const slot = found.get(id);
          if (slot) slots.push({ n: from + i, approvalId: slot.approvalId });
        }
        if (found.size < SLOT_BATCH) break;
      }
      if (slots.length > 0) remember(ticketKey(accountId, ticketId), Math.max(...slots.map((s) => s.n)));
      const latest = slots.sort((a, b) => b.n - a.n).slice(0, max);
      return [...new Set(latest.map((s) => s.approvalId))];
    },
  };
}
export type TicketSlots = ReturnType<typeof ticketSlots>;

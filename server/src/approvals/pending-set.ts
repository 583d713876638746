import type { Connection } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';
import { approvalModels, type PendingEntryDoc } from './approval.model.js';
import { PendingOrder, queueOrder } from './pending-order.js';

export type PendingEntry = PendingEntryDoc;

/**
 * The approvals that may still be pending, in memory, per account: what the queue, the ticket lists and
 * the expiry sweep look at, so their cost follows what is pending and never what is stored. Each
 * account's entries are kept in queue order (all, and per action) and indexed by ticket, so a queue
 * page and a ticket's pending approvals cost the same with 100 and with 50,000 pending. The durable copy (collection
 * `pending_approvals`) is read whole only when a process starts and, as a safety net, every few minutes;
 * between those, the change feed keeps every process's copy current within one feed interval.
 *
 * An entry may outlive its approval's pending state (a decision whose removal was lost) or precede its
 * approval (written first): readers check the approval itself and drop what is stale.
 */
/** One account's entries: in queue order (all, and per action) and by ticket. */
type AccountIndex = {
  queue: PendingOrder;
  byAction: Map<string, PendingOrder>;
  byTicket: Map<string, Map<string, PendingEntry>>;
};

export class PendingSet {
  private readonly byAccount = new Map<string, AccountIndex>();
  private readonly byId = new Map<string, PendingEntry>();
  /**
   * For each load in flight, the ids removed since it began, so a load that overlaps a decision does not
   * bring it back. One set per load: loads may overlap (the periodic reload and a sweep's cleanup).
   */
  private readonly removedDuringLoads = new Set<Set<string>>();

  constructor(private readonly conn: Connection) {}

  get size() {
    return this.byId.size;
  }

  /** Replaces the in-memory set with the durable one (one read of the pending collection). */
  async load(): Promise<number> {
    const { Pending } = approvalModels(this.conn);
    const removed = new Set<string>();
    this.removedDuringLoads.add(removed);
    try {
      const entries = await Pending.find({}).lean<PendingEntry[]>();
      const fresh = new Map(entries.filter((e) => !removed.has(e._id)).map((e) => [e._id, e]));
      // Entries added in memory after the read began (by the feed) are kept.
      for (const [id, entry] of this.byId) if (!fresh.has(id) && !removed.has(id)) fresh.set(id, entry);
      this.byId.clear();
      this.byAccount.clear();
      // In queue order, so every insert into the ordered indexes is an append.
      for (const entry of [...fresh.values()].sort(queueOrder)) this.add(entry);
      return this.byId.size;
    } finally {
      this.removedDuringLoads.delete(removed);
    }
  }

  /** Writes the durable entry (before the approval itself; a duplicate is fine). */
  async insertDurable(entry: PendingEntry): Promise<void> {
    await insertUnique(approvalModels(this.conn).Pending, entry);
    this.add(entry);
  }

  /** Removes the durable entry of a decided approval. */
  async removeDurable(approvalId: string): Promise<void> {
    this.remove(approvalId);
    await approvalModels(this.conn).Pending.deleteOne({ _id: approvalId });
  }

  /** Adds the entry, or replaces the one with its id (a change applied twice, a reload). */
  add(entry: PendingEntry) {
    const previous = this.byId.get(entry._id);
    if (previous) this.unindex(previous);
    this.byId.set(entry._id, entry);
    let account = this.byAccount.get(entry.accountId);
    if (!account) {
      account = { queue: new PendingOrder(), byAction: new Map(), byTicket: new Map() };
      this.byAccount.set(entry.accountId, account);
    }
    account.queue.insert(entry);
    let ofAction = account.byAction.get(entry.action);
    if (!ofAction) account.byAction.set(entry.action, (ofAction = new PendingOrder()));
    ofAction.insert(entry);
    if (entry.ticketId !== null) {
      let ofTicket = account.byTicket.get(entry.ticketId);
      if (!ofTicket) account.byTicket.set(entry.ticketId, (ofTicket = new Map()));
      ofTicket.set(entry._id, entry);
    }
  }

  remove(approvalId: string) {
    for (const removed of this.removedDuringLoads) removed.add(approvalId);
    const entry = this.byId.get(approvalId);
    if (!entry) return;
    this.byId.delete(approvalId);
    this.unindex(entry);
  }

  private unindex(entry: PendingEntry) {
    const account = this.byAccount.get(entry.accountId);
    if (!account) return;
    account.queue.remove(entry);
    const ofAction = account.byAction.get(entry.action);
    ofAction?.remove(entry);
    if (ofAction?.size === 0) account.byAction.delete(entry.action);
    if (entry.ticketId !== null) {
      const ofTicket = account.byTicket.get(entry.ticketId);
      ofTicket?.delete(entry._id);
      if (ofTicket?.size === 0) account.byTicket.delete(entry.ticketId);
    }
    if (account.queue.size === 0) this.byAccount.delete(entry.accountId);
  }

  /** The account's entries, oldest first, optionally of one action (a copy of the whole queue). */
  ofAccount(accountId: string, action?: string): PendingEntry[] {
    return this.orderOf(accountId, action)?.all() ?? [];
  }

  /**
   * A page of the account's queue: up to `limit` entries after `after` (exclusive; from the oldest when
   * null), oldest first, optionally of one action. Costs the page, whatever the size of the set.
   */
  queue(accountId: string, page: { action?: string | undefined; after: PendingEntry | null; limit: number }) {
    return this.orderOf(accountId, page.action)?.page(page.after, page.limit) ?? [];
  }

  /** The entries of one ticket of the account (any order): the ticket's own, never a scan of the account's. */
  ofTicket(accountId: string, ticketId: string): PendingEntry[] {
    return [...(this.byAccount.get(accountId)?.byTicket.get(ticketId)?.values() ?? [])];
  }

  private orderOf(accountId: string, action: string | undefined): PendingOrder | undefined {
    const account = this.byAccount.get(accountId);
    return action === undefined ? account?.queue : account?.byAction.get(action);
  }

  /** Entries whose escalation is due (and not applied as far as this process knows), oldest first. */
  escalationsDue(now: Date, limit: number): PendingEntry[] {
    const due: PendingEntry[] = [];
    for (const entry of this.byId.values()) if (entry.escalatesAt && entry.escalatesAt <= now) due.push(entry);
    return due.sort((a, b) => (a.escalatesAt as Date).getTime() - (b.escalatesAt as Date).getTime()).slice(0, limit);
  }

  /** This process no longer watches the entry's escalation (applied here or elsewhere, or not to apply). */
  markEscalated(approvalId: string) {
    const entry = this.byId.get(approvalId);
    if (entry) entry.escalatesAt = null;
  }

  /** Entries whose expiry has passed, oldest expiry first, at most `limit`. */
  due(now: Date, limit: number): PendingEntry[] {
    const due: PendingEntry[] = [];
    for (const entry of this.byId.values()) if (entry.expiresAt <= now) due.push(entry);
    return due.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime()).slice(0, limit);
  }
}

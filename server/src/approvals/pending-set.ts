import type { Connection } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';
import { approvalModels, type PendingEntryDoc } from './approval.model.js';

export type PendingEntry = PendingEntryDoc;

/**
 * The approvals that may still be pending, in memory, per account: what the queue and the expiry sweep
 * look at, so their cost follows what is pending and never what is stored. The durable copy (collection
 * `pending_approvals`) is read whole only when a process starts and, as a safety net, every few minutes;
 * between those, the change feed keeps every process's copy current within one feed interval.
 *
 * An entry may outlive its approval's pending state (a decision whose removal was lost) or precede its
 * approval (written first): readers check the approval itself and drop what is stale.
 */
export class PendingSet {
  private readonly byAccount = new Map<string, Map<string, PendingEntry>>();
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
      for (const entry of fresh.values()) this.add(entry);
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

  add(entry: PendingEntry) {
    this.byId.set(entry._id, entry);
    let account = this.byAccount.get(entry.accountId);
    if (!account) this.byAccount.set(entry.accountId, (account = new Map()));
    account.set(entry._id, entry);
  }

  remove(approvalId: string) {
    for (const removed of this.removedDuringLoads) removed.add(approvalId);
    const entry = this.byId.get(approvalId);
    if (!entry) return;
    this.byId.delete(approvalId);
    const account = this.byAccount.get(entry.accountId);
    account?.delete(approvalId);
    if (account?.size === 0) this.byAccount.delete(entry.accountId);
  }

  /** The account's entries, oldest first, optionally of one action. */
  ofAccount(accountId: string, action?: string): PendingEntry[] {
    const entries = [...(this.byAccount.get(accountId)?.values() ?? [])];
    return entries
      .filter((e) => action === undefined || e.action === action)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : 1));
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

import type { PendingEntryDoc } from './approval.model.js';

/** Queue order: oldest first, ties by id (a total order: ids are unique). */
export function queueOrder(a: PendingEntryDoc, b: PendingEntryDoc): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
}

/**
 * Pending entries kept in queue order, so a page of the queue costs a binary search and the page, never
 * a sort of the whole set. New approvals are the newest, so an insert is almost always an append; an
 * out-of-order one (a change another process made a moment earlier) and a removal move part of one
 * array of references.
 */
export class PendingOrder {
  private readonly items: PendingEntryDoc[] = [];

  get size() {
    return this.items.length;
  }

  insert(entry: PendingEntryDoc) {
    const last = this.items.at(-1);
    if (!last || queueOrder(last, entry) < 0) this.items.push(entry);
    else this.items.splice(this.firstNotBefore(entry), 0, entry);
  }

  /** Removes the entry with this one's id and creation time (no-op when absent). */
  remove(entry: PendingEntryDoc) {
    const i = this.firstNotBefore(entry);
    if (this.items[i]?._id === entry._id) this.items.splice(i, 1);
  }

  /** Up to `limit` entries after `after` (exclusive; from the start when null), in queue order. */
  page(after: PendingEntryDoc | null, limit: number): PendingEntryDoc[] {
    let from = 0;
    if (after) {
      from = this.firstNotBefore(after);
      if (this.items[from]?._id === after._id) from++;
    }
    return this.items.slice(from, from + limit);
  }

  all(): PendingEntryDoc[] {
    return [...this.items];
  }

  /** Index of the first entry not before `entry` in queue order (binary search). */
  private firstNotBefore(entry: PendingEntryDoc): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (queueOrder(this.items[mid] as PendingEntryDoc, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

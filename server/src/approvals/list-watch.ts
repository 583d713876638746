import type { ApprovalChange } from './approval-changes.js';

/** How many recent changes are remembered to answer "has anything changed since <cursor>?" from memory. */
const RECENT_CHANGES = 10_000;

/** What a held list call listens for: one account, and one ticket when the list is a ticket's. */
export type ListScope = {
  accountId: string;
  ticketId?: string | undefined;
  action?: string | undefined;
  /** A list of pending approvals only (the queue): what becomes of a decided one's execution never shows in it. */
  pendingOnly?: boolean | undefined;
};

type Recent = { seq: number; accountId: string; ticketId: string | null; action: string; isExecution: boolean };
type Holder = { scope: ListScope; wake: () => void };

const matches = (scope: ListScope, change: Omit<Recent, 'seq'>) =>
  change.accountId === scope.accountId &&
  !(change.isExecution && scope.pendingOnly === true) &&
  (scope.ticketId === undefined || change.ticketId === scope.ticketId) &&
  (scope.action === undefined || change.action === scope.action);

/**
 * The held list calls of this process (`GET /api/agent/approvals?since=&wait=`). It follows the change
 * feed that every process tails, so a change made by any process wakes the calls it concerns within a
 * feed interval. The last changes are kept in a ring (position, account, ticket, action), so "did anything
 * relevant change after this cursor?" is answered from memory, never by a database read; a cursor older
 * than the ring (or than this process) counts as changed. A held call costs one listener and one timer.
 */
export class ListWatch {
  private readonly holders = new Map<string, Set<Holder>>();
  private readonly ring: (Recent | undefined)[] = new Array<Recent | undefined>(RECENT_CHANGES);
  /** Oldest position the ring can vouch for: changes after it and up to `position` are all in the ring. */
  private floor = 0;
  /** Last feed position this process has seen (the cursor a list read now reflects). */
  private seen = 0;
  private size = 0;
  private isClosing = false;

  constructor(private readonly options: { hasRoom: () => boolean }) {}

  /** Where the feed is for this process: the cursor of a list read from now on. */
  get position() {
    return this.seen;
  }

  get count() {
    return this.size;
  }

  get hasRoom() {
    return !this.isClosing && this.options.hasRoom();
  }

  /** The feed's end when this process started following it (nothing older is in the ring). */
  startAt(seq: number) {
    this.seen = Math.max(this.seen, seq);
    this.floor = Math.max(this.floor, seq);
  }

  /** The feed listener (subscribe it to the change feed). */
  onChange(change: ApprovalChange, seq: number) {
    if (seq <= this.seen) return;
    // Positions skipped by the feed (a writer that died) hold nothing, so the ring stays exact.
    this.seen = seq;
    const slot = seq % RECENT_CHANGES;
    const evicted = this.ring[slot];
    if (evicted) this.floor = Math.max(this.floor, evicted.seq);
    const recent: Recent = {
      seq,
      accountId: change.accountId,
      ticketId: change.ticketId,
      action: change.action,
      isExecution: change.kind === 'executed',
    };
    this.ring[slot] = recent;
    for (const holder of [...(this.holders.get(change.accountId) ?? [])]) {
      if (matches(holder.scope, recent)) holder.wake();
    }
  }

  /** Whether a change in scope happened after `since` (true when the ring cannot tell). */
  hasChangedSince(scope: ListScope, since: number): boolean {
    if (since < this.floor) return true;
    for (let seq = this.seen; seq > since && seq > this.floor; seq--) {
      const entry = this.ring[seq % RECENT_CHANGES];
      if (entry?.seq === seq && matches(scope, entry)) return true;
    }
    return false;
  }

  /** Resolves on the first change in scope, the timeout, the signal or shutdown; nothing else is kept. */
  hold(scope: ListScope, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.isClosing || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const holder: Holder = { scope, wake: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        const set = this.holders.get(scope.accountId);
        if (set?.delete(holder)) {
          this.size--;
          if (set.size === 0) this.holders.delete(scope.accountId);
        }
        resolve();
      };
      let set = this.holders.get(scope.accountId);
      if (!set) this.holders.set(scope.accountId, (set = new Set()));
      set.add(holder);
      this.size++;
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  /** Shutdown: answer every held list call now; later ones answer at once. */
  closeAll() {
    this.isClosing = true;
    for (const set of [...this.holders.values()]) for (const holder of [...set]) holder.wake();
  }
}

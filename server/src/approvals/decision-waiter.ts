export type WaitOutcome = 'signalled' | 'timeout' | 'aborted' | 'closing';

/**
 * Holds the calls that wait for a decision. A decision in this process releases its waiters at once
 * through `publish` (with the decision); one made by another process is published when the change feed
 * announces it (without it: the waiter reads it by key). Nothing here touches the database.
 */
export class DecisionWaiter<T = unknown> {
  private readonly listeners = new Map<string, Set<(payload?: T) => void>>();
  private size = 0;
  private isClosing = false;

  constructor(private readonly options: { maxWaiters: number }) {}

  get count() {
    return this.size;
  }

  get hasRoom() {
    return !this.isClosing && this.size < this.options.maxWaiters;
  }

  /**
   * Subscribes before the caller reads the database, so a decision landing in between is not missed.
   * Returns the wait (resolved by a decision, the timeout, the signal or shutdown), a cancel function,
   * and what the releasing `publish` carried (a decision made in this process; undefined otherwise).
   */
  subscribe(
    approvalId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): { done: Promise<WaitOutcome>; cancel: () => void; payload: () => T | undefined } {
    let settle!: (outcome: WaitOutcome) => void;
    const done = new Promise<WaitOutcome>((resolve) => {
      settle = resolve;
    });
    if (this.isClosing) {
      settle('closing');
      return { done, cancel: () => {}, payload: () => undefined };
    }
    let isSettled = false;
    let carried: T | undefined;
    const listener = (payload?: T) => {
      if (!isSettled) carried = payload;
      finish('signalled');
    };
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (outcome: WaitOutcome) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const set = this.listeners.get(approvalId);
      if (set?.delete(listener)) {
        this.size--;
        if (set.size === 0) this.listeners.delete(approvalId);
      }
      settle(this.isClosing && outcome === 'signalled' ? 'closing' : outcome);
    };
    let set = this.listeners.get(approvalId);
    if (!set) this.listeners.set(approvalId, (set = new Set()));
    set.add(listener);
    this.size++;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) finish('aborted');
    return { done, cancel: () => finish('aborted'), payload: () => carried };
  }

  /** Releases every call waiting on this approval, handing them `payload` (the decision, when known). */
  publish(approvalId: string, payload?: T) {
    const set = this.listeners.get(approvalId);
    if (!set) return;
    for (const listener of [...set]) listener(payload);
  }

  /** Shutdown: release every waiter now; later subscriptions resolve at once. */
  closeAll() {
    this.isClosing = true;
    for (const id of [...this.listeners.keys()]) this.publish(id);
  }
}

import type { Logger } from '../lib/logger.js';

export type WaitOutcome = 'signalled' | 'timeout' | 'aborted' | 'closing';

/**
 * Holds the calls that wait for a decision. A decision in this process releases its waiters at once
 * through `publish`; decisions made by other processes are found by one shared query per interval for
 * all waiting ids (`findDecided`), never a query per waiting call.
 */
export class DecisionWaiter<T = unknown> {
  private readonly listeners = new Map<string, Set<(payload?: T) => void>>();
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  private isClosing = false;
  private isPolling = false;

  constructor(
    private readonly options: {
      maxWaiters: number;
      intervalMs: number;
      /** Which of these approval ids have a decision now. */
      findDecided: (ids: string[]) => Promise<string[]>;
      logger: Logger;
    },
  ) {}

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
      if (this.size === 0) this.stopWatching();
      settle(this.isClosing && outcome === 'signalled' ? 'closing' : outcome);
    };
    let set = this.listeners.get(approvalId);
    if (!set) this.listeners.set(approvalId, (set = new Set()));
    set.add(listener);
    this.size++;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) finish('aborted');
    this.startWatching();
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
    this.stopWatching();
  }

  private startWatching() {
    if (this.timer || this.isClosing) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  private stopWatching() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll() {
    if (this.isPolling || this.size === 0) return;
    this.isPolling = true;
    try {
      const ids = [...this.listeners.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        for (const id of await this.options.findDecided(ids.slice(i, i + 500))) this.publish(id);
      }
    } catch (err) {
      this.options.logger.debug('decision watch query failed', { error: String((err as Error).message) });
    } finally {
      this.isPolling = false;
    }
  }
}

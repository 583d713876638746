import type { Logger } from './logger.js';

export type OutboxWorkerOptions<T extends { _id: string }> = {
  /** What the worker sends, for its log lines: `callback`, `zendesk effect`. */
  name: string;
  logger: Logger;
  /** How often due work is polled (`nudge()` also wakes it at once). */
  intervalMs: number;
  /** Attempts run at the same time by this process. */
  concurrency: number;
  /** How many due items one poll reads; a full batch polls again at once. */
  batch: number;
  /** Due work, at most `limit`; `isRunning` tells what this process is already attempting. */
  findDue: (limit: number, isRunning: (id: string) => boolean) => Promise<T[]>;
  /** One attempt of one item (its own claim decides whether it sends). */
  attempt: (item: T) => Promise<void>;
  /** Runs before each poll (housekeeping); a failure is logged like the poll's. */
  beforePoll?: () => Promise<void>;
};

/**
 * The loop both outboxes run (callbacks, Zendesk effects): a poll every interval and on `nudge()`,
 * at most `concurrency` attempts in flight, each item attempted once at a time per process, and a
 * graceful stop. What an attempt does, and how several processes share the work (claims by unique
 * insert), is the outbox's own business.
 */
export class OutboxWorker<T extends { _id: string }> {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private isRequested = false;
  private stopping = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: OutboxWorkerOptions<T>) {}

  /** Aborted when a stop's grace is over: attempts in flight give up (and record it). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isStopping() {
    return this.stopping;
  }

  /** Attempts in progress in this process. */
  get activeCount() {
    return this.inFlight.size;
  }

  get isFull() {
    return this.inFlight.size >= this.options.concurrency;
  }

  isRunning(id: string) {
    return this.inFlight.has(id);
  }

  /** Resolves when an attempt of this process ends (at once when none is running). */
  whenSlotFree(): Promise<unknown> {
    return Promise.race(this.inFlight.values());
  }

  start() {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.nudge(), this.options.intervalMs);
    this.timer.unref();
    this.nudge();
  }

  /** Polls now (or right after the poll in progress). */
  nudge() {
    if (this.stopping) return;
    if (this.ticking) {
      this.isRequested = true;
      return;
    }
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
    });
  }

  /** Runs `work` for `id` in the background, tracked as in flight; nothing when `id` already runs. */
  run(id: string, work: () => Promise<void>) {
    if (this.inFlight.has(id)) return;
    const running = work()
      .catch((err: unknown) => {
        this.options.logger.warn(`${this.options.name} attempt failed to run`, {
          id,
          error: err instanceof Error ? err.message : String(err),
        });
      })
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, running);
  }

  /**
   * Stops polling and lets attempts in flight finish for up to `graceMs`; then the signal aborts the
   * rest, which get 2 s more to record that they were interrupted.
   */
  async stop(graceMs: number) {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const settled = Promise.allSettled([this.ticking, ...this.inFlight.values()]);
    if (await within(settled, graceMs)) return;
    this.abort.abort();
    await within(Promise.allSettled([...this.inFlight.values()]), 2_000);
  }

  private async tick() {
    const { options } = this;
    try {
      await options.beforePoll?.();
      do {
        this.isRequested = false;
        const due = await options.findDue(options.batch, (id) => this.inFlight.has(id));
        for (const item of due) {
          if (this.stopping) return;
          while (this.isFull) await this.whenSlotFree();
          if (this.stopping) return;
          this.run(item._id, () => options.attempt(item));
        }
        if (due.length === options.batch) this.isRequested = true;
      } while (this.isRequested && !this.stopping);
    } catch (err) {
      options.logger.warn(`${options.name} poll failed`, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** True when `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

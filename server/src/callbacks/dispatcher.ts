import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { callbackBody } from './callback-body.js';
import { activeSecrets, signedHeaders } from './callback-signer.js';
import type { DeliveriesRepository, DueDelivery } from './deliveries.repository.js';
import { nextStep, type AttemptResult, type NextStep } from './retry-schedule.js';
import type { CallbackClient } from './safe-client.js';

/** Test-only crash points (CHEQPOINT_TEST_CRASH_AT): the process SIGKILLs itself there. */
export const CRASH_POINTS = ['before-send', 'after-send'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Callback events for the audit trail: each recorded attempt, and each redelivery asked for. */
export type DeliveryEvent = AttemptEvent | RedeliveredEvent;

export type RedeliveredEvent = {
  type: 'callback.redelivered';
  approvalId: string;
  accountId: string;
  /** Who asked: `key:<keyId>` for the API, `cli` for the operator. */
  actor: string;
  previousState: string;
  at: Date;
};

/** Reported after each attempt's outcome is recorded. */
export type AttemptEvent = {
  type: 'callback.attempted';
  approvalId: string;
  accountId: string;
  webhookId: string;
  attempt: number;
  /** The state recorded: `pending` means another attempt is scheduled. */
  state: NextStep['state'];
  httpStatus: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  at: Date;
};

export type DispatcherOptions = {
  repository: DeliveriesRepository;
  client: CallbackClient;
  clock: Clock;
  logger: Logger;
  /** How often due deliveries are polled (`nudge()` also wakes it at once). */
  intervalMs: number;
  /** How long a claim holds a delivery; longer than one attempt's timeout. */
  leaseMs: number;
  /** Delays before attempts 2, 3, …, see retry-schedule.ts. */
  scheduleMs: readonly number[];
  random?: () => number;
  /** Deliveries attempted at the same time by this process. */
  concurrency?: number;
  crashAt?: CrashPoint | null;
  onEvent?: (event: AttemptEvent) => void | Promise<void>;
};

const BATCH = 50;

/**
 * Sends decided approvals' callbacks, at least once, from the outbox in the decisions collection.
 * Several processes may run one each: each attempt is claimed by a unique insert (one sender per attempt,
 * on FerretDB too) under a lease with fencing, so a crashed or stalled worker's delivery is picked up
 * after its lease, and its late result is not written. A callback is sent twice only after a crash or a
 * stall past the lease, and always with the same `webhook-id`.
 */
export class CallbackDispatcher {
  /** Identifies this process in lease tokens. */
  readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private claimSeq = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private isRequested = false;
  private isStopping = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();

  constructor(private readonly options: DispatcherOptions) {}

  start() {
    if (this.timer || this.isStopping) return;
    this.timer = setInterval(() => this.nudge(), this.options.intervalMs);
    this.timer.unref();
    this.nudge();
  }

  /** Looks for due deliveries now (call it right after a decision so the first attempt is immediate). */
  nudge() {
    if (this.isStopping) return;
    if (this.ticking) {
      this.isRequested = true;
      return;
    }
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
    });
  }

  /**
   * The first attempt of a delivery just decided in this process, at once: no wait for the poll, which
   * stays the safety net (a crash, a full process, a retry).
   */
  sendNow(approvalId: string) {
    if (this.isStopping || this.inFlight.has(approvalId)) return;
    if (this.inFlight.size >= (this.options.concurrency ?? 8)) {
      // Full: send it as soon as an attempt of this process ends (not at the next poll).
      void Promise.race(this.inFlight.values()).then(() => this.sendNow(approvalId));
      return;
    }
    const placeholder = this.options.repository
      .dueNow(approvalId, this.options.clock.now())
      .then((due) => {
        this.inFlight.delete(approvalId);
        if (due) this.run(due);
      })
      .catch((err: unknown) => {
        this.inFlight.delete(approvalId);
        this.options.logger.warn('callback attempt failed to start', {
          approvalId,
          error: err instanceof Error ? err.message : String(err),
        });
      });
    this.inFlight.set(approvalId, placeholder);
  }

  /** Runs one attempt in the background, tracked as in flight. */
  private run(item: DueDelivery) {
    if (this.inFlight.has(item._id)) return;
    const run = this.attempt(item)
      .catch((err: unknown) => {
        this.options.logger.warn('callback attempt failed to run', {
          approvalId: item._id,
          error: err instanceof Error ? err.message : String(err),
        });
      })
      .finally(() => this.inFlight.delete(item._id));
    this.inFlight.set(item._id, run);
  }

  /** Attempts in progress in this process. */
  get activeCount() {
    return this.inFlight.size;
  }

  /**
   * Stops polling and lets attempts in flight finish for up to `graceMs`; the rest are aborted and
   * recorded as interrupted (due again at once, for any process).
   */
  async stop(graceMs: number) {
    this.isStopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const settled = Promise.allSettled([this.ticking, ...this.inFlight.values()]);
    if (!(await within(settled, graceMs))) {
      this.shutdown.abort();
      await within(Promise.allSettled([...this.inFlight.values()]), 2_000);
    }
  }

  private async tick() {
    try {
      do {
        this.isRequested = false;
        const due = await this.options.repository.findDue(this.options.clock.now(), BATCH, (id) =>
          this.inFlight.has(id),
        );
        for (const item of due) {
          if (this.isStopping) return;
          while (this.inFlight.size >= (this.options.concurrency ?? 8)) await Promise.race(this.inFlight.values());
          if (this.isStopping) return;
          this.run(item);
        }
        if (due.length === BATCH) this.isRequested = true;
      } while (this.isRequested && !this.isStopping);
    } catch (err) {
      this.options.logger.warn('callback poll failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** One attempt: claim, sign, send, record (fenced). */
  private async attempt(due: DueDelivery) {
    const { repository, clock, client } = this.options;
    const token = `${this.owner}#${++this.claimSeq}`;
    const claimedAt = clock.now();
    const claimed = await repository.claim(due, token, claimedAt, new Date(claimedAt.getTime() + this.options.leaseMs));
    if (!claimed) return;
    const { decision, claimId } = claimed;
    const attempt = decision.delivery.attempts;
    this.crashIf('before-send');

    const { approval, signingSecrets } = await repository.context(decision);
    let result: AttemptResult;
    if (!approval || !decision.delivery.callbackUrl) {
      result = { kind: 'error', reason: 'blocked', message: 'The approval or its callbackUrl no longer exists' };
    } else {
      const secrets = activeSecrets(signingSecrets ?? [], clock.now());
      if (secrets.length === 0) {
        result = { kind: 'error', reason: 'network', message: 'The account has no active signing secret' };
      } else {
        const body = callbackBody(approval, decision);
        const headers = signedHeaders({ webhookId: decision.delivery.webhookId, body, secrets, now: clock.now() });
        result = await client.post(decision.delivery.callbackUrl, { headers, body, signal: this.shutdown.signal });
      }
    }
    this.crashIf('after-send');

    const now = clock.now();
    const step = nextStep(result, attempt, now, {
      scheduleMs: this.options.scheduleMs,
      random: this.options.random ?? Math.random,
    });
    const isRecorded = await repository.recordResult(decision._id, token, attempt, step, result, now, claimId);
    const fields = {
      approvalId: decision._id,
      webhookId: decision.delivery.webhookId,
      attempt,
      state: step.state,
      ...(step.lastError ? { error: step.lastError } : {}),
    };
    if (!isRecorded) {
      this.options.logger.warn('callback result discarded: the lease was taken over', fields);
      return;
    }
    this.options.logger.info('callback attempted', fields);
    await this.report({
      type: 'callback.attempted',
      approvalId: decision._id,
      accountId: decision.accountId,
      webhookId: decision.delivery.webhookId,
      attempt,
      state: step.state,
      httpStatus: result.kind === 'response' ? result.status : null,
      error: step.lastError,
      nextAttemptAt: step.state === 'pending' ? step.nextAttemptAt : null,
      at: now,
    });
  }

  private async report(event: AttemptEvent) {
    try {
      await this.options.onEvent?.(event);
    } catch (err) {
      this.options.logger.warn('callback event not recorded', {
        approvalId: event.approvalId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private crashIf(point: CrashPoint) {
    if (this.options.crashAt === point) process.kill(process.pid, 'SIGKILL');
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

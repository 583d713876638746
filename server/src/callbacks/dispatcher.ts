import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { OutboxWorker } from '../lib/outbox-worker.js';
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
  private readonly worker: OutboxWorker<DueDelivery>;

  constructor(private readonly options: DispatcherOptions) {
    this.worker = new OutboxWorker({
      name: 'callback',
      logger: options.logger,
      intervalMs: options.intervalMs,
      concurrency: options.concurrency ?? 8,
      batch: BATCH,
      findDue: (limit, isRunning) => options.repository.findDue(options.clock.now(), limit, isRunning),
      attempt: (due) => this.attempt(due),
    });
  }

  start() {
    this.worker.start();
  }

  /** Looks for due deliveries now (call it right after a decision so the first attempt is immediate). */
  nudge() {
    this.worker.nudge();
  }

  /**
   * The first attempt of a delivery just decided in this process, at once: no wait for the poll, which
   * stays the safety net (a crash, a full process, a retry).
   */
  sendNow(approvalId: string) {
    const { worker } = this;
    if (worker.isStopping || worker.isRunning(approvalId)) return;
    if (worker.isFull) {
      // Full: send it as soon as an attempt of this process ends (not at the next poll).
      void worker.whenSlotFree().then(() => this.sendNow(approvalId));
      return;
    }
    worker.run(approvalId, async () => {
      const due = await this.options.repository.dueNow(approvalId, this.options.clock.now());
      if (due) await this.attempt(due);
    });
  }

  /** Attempts in progress in this process. */
  get activeCount() {
    return this.worker.activeCount;
  }

  /**
   * Stops polling and lets attempts in flight finish for up to `graceMs`; the rest are aborted and
   * recorded as interrupted (due again at once, for any process).
   */
  stop(graceMs: number) {
    return this.worker.stop(graceMs);
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

    const { approval, signingSecrets, execution } = await repository.context(decision);
    let result: AttemptResult;
    if (!approval || !decision.delivery.callbackUrl) {
      result = { kind: 'error', reason: 'blocked', message: 'The approval or its callbackUrl no longer exists' };
    } else {
      const secrets = activeSecrets(signingSecrets ?? [], clock.now());
      if (secrets.length === 0) {
        result = { kind: 'error', reason: 'network', message: 'The account has no active signing secret' };
      } else {
        const body = callbackBody(approval, decision, execution);
        const headers = signedHeaders({ webhookId: decision.delivery.webhookId, body, secrets, now: clock.now() });
        result = await client.post(decision.delivery.callbackUrl, { headers, body, signal: this.worker.signal });
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

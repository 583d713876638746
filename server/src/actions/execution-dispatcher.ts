import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { secretNamesOf, type ActionConfig } from '@cheqpoint/shared';
import type { CallbackClient } from '../callbacks/safe-client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { OutboxWorker } from '../lib/outbox-worker.js';
import { executionStep } from './execution-step.js';
import { parseActionJson, type ExecutionRecord } from './execution.model.js';
import type {
  DueExecution,
  ExecutionDecision,
  ExecutionsRepository,
  ExecutionSubject,
} from './executions.repository.js';
import { approvedDetails, MissingValuesError, renderReply, renderRequest, type TemplateInput } from './render.js';
import { SecretsKeyError } from './secrets-key.js';
import type { SecretsStore } from './secrets.js';

/** Test-only crash points (CHEQPOINT_TEST_CRASH_AT): the process SIGKILLs itself there. */
export const EXECUTION_CRASH_POINTS = ['execution-before-send', 'execution-after-send'] as const;
export type ExecutionCrashPoint = (typeof EXECUTION_CRASH_POINTS)[number];

/** What one attempt did, for the audit trail, the metrics and the log (never a secret or a header). */
export type ExecutionEvent = {
  approvalId: string;
  accountId: string;
  /** The approval's ticket and action (what held lists listen for); null when the approval is gone. */
  ticketId: string | null;
  action: string | null;
  attempt: number;
  /** `retry`: another attempt is scheduled. */
  state: 'succeeded' | 'retry' | 'failed' | 'skipped';
  method: string | null;
  host: string | null;
  httpStatus: number | null;
  error: string | null;
  /** The reply's state after this attempt. */
  reply: ExecutionRecord['reply'];
  at: Date;
};

/** How the customer is told (zendesk/ implements it): queued held, then released once recorded. */
export type ReplySender = {
  queue: (
    reply: { approvalId: string; accountId: string; ticketId: string | null; text: string; authorId: string | null },
    holdMs: number,
  ) => Promise<'queued' | 'no-ticket' | 'no-connection'>;
  release: (approvalId: string) => Promise<void>;
};

export type ExecutionDispatcherOptions = {
  repository: ExecutionsRepository;
  secrets: SecretsStore;
  secretsKey: Buffer | null;
  client: CallbackClient;
  replies: ReplySender;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  leaseMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  crashAt?: ExecutionCrashPoint | null;
  onEvent?: (event: ExecutionEvent) => void | Promise<void>;
};

/** A reply queued is held this long so its state is recorded before Zendesk's answer is. */
const REPLY_HOLD_MS = 10_000;

/** The verified deciding agent's Zendesk user id, as the reply's author; null: the connection's user. */
function authorOf(decision: ExecutionDecision): string | null {
  const by = decision.decidedBy;
  return by.type === 'agent' && by.verified === true && /^\d{1,19}$/.test(by.id) ? by.id : null;
}

/** `text` with every secret value replaced by its name (a receiver may echo a header in its error). */
function scrub(text: string | null, secrets: Map<string, string>): string | null {
  if (text === null) return null;
  let out = text;
  for (const [name, value] of secrets) if (value.length >= 4) out = out.split(value).join(`«secret:${name}»`);
  return out;
}

/**
 * Carries out decided actions from the execution outbox: settles the `when: late` race, renders and
 * sends the request through the callbacks' SSRF-safe client (`Idempotency-Key: <approvalId>`, so a
 * repeat after a crash is recognised), then has the reply added. Several processes may run one each:
 * each attempt is claimed by a unique insert under a lease with fencing (as callbacks are).
 */
export class ExecutionDispatcher {
  readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private claimSeq = 0;
  private readonly worker: OutboxWorker<DueExecution>;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: ExecutionDispatcherOptions) {
    this.worker = new OutboxWorker({
      name: 'execution',
      logger: options.logger,
      intervalMs: options.intervalMs,
      concurrency: 8,
      batch: 50,
      findDue: (limit, isRunning) => options.repository.findDue(options.clock.now(), limit, isRunning),
      attempt: (due) => this.attempt(due),
    });
  }

  start() {
    this.worker.start();
  }

  nudge() {
    this.worker.nudge();
  }

  get activeCount() {
    return this.worker.activeCount;
  }

  /** The first attempt of an execution decided here, at `dueAt` (after the grace of `when: late`). */
  runAt(approvalId: string, dueAt: Date) {
    const delay = Math.max(0, dueAt.getTime() - this.options.clock.now().getTime());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.runNow(approvalId);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private runNow(approvalId: string) {
    const { worker } = this;
    if (worker.isStopping || worker.isRunning(approvalId)) return;
    if (worker.isFull) {
      void worker.whenSlotFree().then(() => this.runNow(approvalId));
      return;
    }
    worker.run(approvalId, async () => {
      const due = await this.options.repository.dueNow(approvalId, this.options.clock.now());
      if (due) await this.attempt(due);
    });
  }

  stop(graceMs: number) {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return this.worker.stop(graceMs);
  }

  /** One attempt: claim, settle the race, render, send, record (fenced), then the reply. */
  private async attempt(due: DueExecution) {
    const { repository, clock, leaseMs } = this.options;
    const token = `${this.owner}#${++this.claimSeq}`;
    const claimedAt = clock.now();
    const claimed = await repository.claim(due, token, claimedAt, new Date(claimedAt.getTime() + leaseMs));
    if (!claimed) return;
    const { decision, claimId } = claimed;
    const execution = decision.execution;
    const attempt = execution.attempts;
    const subject = await repository.findSubject(decision._id);
    const config = subject && subject.accountId === decision.accountId ? parseActionJson(subject.actionJson) : null;
    const finish = (fields: Partial<ExecutionRecord> & { state: ExecutionRecord['state'] }) =>
      repository.record(decision._id, token, attempt, fields, claimId);

    if (!subject || !config) {
      await this.recorded(
        decision,
        subject?.accountId === decision.accountId ? subject : null,
        attempt,
        await finish({
          state: 'failed',
          lastError: 'The approval or its action configuration no longer exists',
          finishedAt: clock.now(),
          attempts: attempt - 1,
        }),
        {
          state: 'failed',
          httpStatus: null,
          error: 'The approval or its action configuration no longer exists',
          reply: execution.reply,
        },
      );
      return;
    }
    // `late`: only when no requester call learned the decision first (whoever inserts first wins).
    if (
      execution.when === 'late' &&
      (await repository.learned(decision._id, 'execution', clock.now())) === 'requester'
    ) {
      const now = clock.now();
      const isRecorded = await finish({ state: 'skipped', attempts: 0, finishedAt: now, reply: 'none' });
      await this.recorded(decision, subject, attempt, isRecorded, {
        state: 'skipped',
        httpStatus: null,
        error: null,
        reply: 'none',
      });
      return;
    }
    this.crashIf('execution-before-send');

    let secrets = new Map<string, string>();
    // A rejection sends nothing, so it needs no secret (and no key).
    const names = execution.method && decision.outcome === 'approved' ? secretNamesOf(config) : [];
    const input = (): TemplateInput => ({
      details: approvedDetails(
        JSON.parse(subject.detailsJson) as Record<string, unknown>,
        decision.modifiedDetailsJson ? (JSON.parse(decision.modifiedDetailsJson) as Record<string, unknown>) : null,
      ),
      decisionNote: decision.note,
      approvalId: decision._id,
      ticketId: subject.ticketId,
      secret: (name) => secrets.get(name),
    });
    try {
      secrets = await this.options.secrets.reveal(this.options.secretsKey, decision.accountId, names);
    } catch (err) {
      if (!(err instanceof SecretsKeyError)) throw err;
      await this.fail(decision, subject, attempt, finish, err.message, null);
      return;
    }

    let lastStatus: number | null = execution.lastStatus;
    if (execution.method && decision.outcome === 'approved' && config.execute) {
      let request;
      try {
        request = renderRequest(config.execute, input());
      } catch (err) {
        if (!(err instanceof MissingValuesError)) throw err;
        // Never a request with a hole in it: nothing is sent, and the failure says what was missing.
        await this.fail(decision, subject, attempt, finish, `Not sent: ${err.message}`, null, attempt - 1);
        return;
      }
      const result = await this.options.client.post(request.url, {
        method: request.method,
        headers: { ...request.headers, 'idempotency-key': decision._id },
        body: request.body,
        signal: this.worker.signal,
      });
      this.crashIf('execution-after-send');
      const now = clock.now();
      const step = executionStep(result, attempt, now, {
        scheduleMs: this.options.scheduleMs,
        random: this.options.random ?? Math.random,
      });
      lastStatus = result.kind === 'response' ? result.status : null;
      const error = step.state === 'done' ? null : scrub(step.lastError, secrets);
      if (step.state === 'pending') {
        const isRecorded = await finish({
          state: 'pending',
          nextAttemptAt: step.nextAttemptAt,
          lastStatus,
          lastError: error,
          lastAttemptAt: now,
        });
        await this.recorded(decision, subject, attempt, isRecorded, {
          state: 'retry',
          httpStatus: lastStatus,
          error,
          reply: execution.reply,
        });
        return;
      }
      if (step.state === 'failed') {
        await this.fail(decision, subject, attempt, finish, error ?? 'failed', lastStatus);
        return;
      }
    }
    await this.succeed(decision, subject, config, attempt, finish, lastStatus, input());
  }

  /** Done: record it with its reply queued (held), then release the reply. */
  private async succeed(
    decision: ExecutionDecision & { execution: ExecutionRecord },
    subject: ExecutionSubject,
    config: ActionConfig,
    attempt: number,
    finish: (fields: Partial<ExecutionRecord> & { state: ExecutionRecord['state'] }) => Promise<boolean>,
    lastStatus: number | null,
    input: TemplateInput,
  ) {
    const now = this.options.clock.now();
    const template = config.reply?.[decision.outcome];
    let reply: ExecutionRecord['reply'] = 'none';
    let replyError: string | null = null;
    if (template !== undefined) {
      try {
        const text = renderReply(template, input);
        const queued = await this.options.replies.queue(
          {
            approvalId: decision._id,
            accountId: decision.accountId,
            ticketId: subject.ticketId,
            text,
            authorId: authorOf(decision),
          },
          REPLY_HOLD_MS,
        );
        reply = queued === 'queued' ? 'pending' : 'skipped';
      } catch (err) {
        if (!(err instanceof MissingValuesError)) throw err;
        reply = 'failed';
        replyError = `Reply not added: ${err.message}`;
      }
    }
    const hasRequest = decision.execution.method !== null && decision.outcome === 'approved';
    const isRecorded = await finish({
      state: 'done',
      lastStatus,
      lastError: replyError,
      lastAttemptAt: hasRequest ? now : null,
      finishedAt: now,
      attempts: hasRequest ? attempt : 0,
      reply,
      replyAt: reply === 'pending' ? null : now,
    });
    if (isRecorded && reply === 'pending') await this.options.replies.release(decision._id);
    await this.recorded(decision, subject, attempt, isRecorded, {
      state: 'succeeded',
      httpStatus: lastStatus,
      error: replyError,
      reply,
    });
  }

  private async fail(
    decision: ExecutionDecision & { execution: ExecutionRecord },
    subject: ExecutionSubject,
    attempt: number,
    finish: (fields: Partial<ExecutionRecord> & { state: ExecutionRecord['state'] }) => Promise<boolean>,
    error: string,
    lastStatus: number | null,
    attempts: number = attempt,
  ) {
    const now = this.options.clock.now();
    const isRecorded = await finish({
      state: 'failed',
      lastError: error,
      lastStatus,
      lastAttemptAt: now,
      finishedAt: now,
      attempts,
    });
    await this.recorded(decision, subject, attempt, isRecorded, {
      state: 'failed',
      httpStatus: lastStatus,
      error,
      reply: decision.execution.reply,
    });
  }

  private async recorded(
    decision: ExecutionDecision & { execution: ExecutionRecord },
    subject: ExecutionSubject | null,
    attempt: number,
    isRecorded: boolean,
    outcome: Pick<ExecutionEvent, 'state' | 'httpStatus' | 'error' | 'reply'>,
  ) {
    const fields = {
      approvalId: decision._id,
      attempt,
      state: outcome.state,
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    if (!isRecorded) {
      this.options.logger.warn('execution result discarded: the lease was taken over', fields);
      return;
    }
    if (outcome.state === 'failed') this.options.logger.warn('execution failed', fields);
    else this.options.logger.info('execution attempted', fields);
    try {
      await this.options.onEvent?.({
        approvalId: decision._id,
        accountId: decision.accountId,
        ticketId: subject?.ticketId ?? null,
        action: subject?.action ?? null,
        attempt,
        method: decision.execution.method,
        host: decision.execution.host,
        at: this.options.clock.now(),
        ...outcome,
      });
    } catch (err) {
      this.options.logger.warn('execution event not recorded', { approvalId: decision._id, error: String(err) });
    }
  }

  private crashIf(point: ExecutionCrashPoint) {
    if (this.options.crashAt === point) process.kill(process.pid, 'SIGKILL');
  }
}

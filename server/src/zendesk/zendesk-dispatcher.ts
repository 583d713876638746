import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { OutboxWorker } from '../lib/outbox-worker.js';
import type { ZendeskConnections } from './connections.js';
import { requestOf, type TicketState } from './effect-requests.js';
import { sendToZendesk, type ZendeskResult } from './zendesk-client.js';
import { entryId, type ZendeskOutbox } from './zendesk-outbox.js';
import { describe, zendeskStep } from './zendesk-retry.js';
import type { ZendeskEffect, ZendeskOutboxDoc } from './zendesk.model.js';

/** One attempt's outcome, for the log and the metrics (never the credentials). */
export type ZendeskAttemptEvent = {
  approvalId: string;
  accountId: string;
  ticketId: string;
  effect: ZendeskEffect;
  attempt: number;
  /** `skipped`: nothing to send any more (decided meanwhile, another approval still pending, disconnected). */
  state: 'done' | 'retry' | 'failed' | 'skipped';
  httpStatus: number | null;
  error: string | null;
};

export type ZendeskDispatcherOptions = {
  outbox: ZendeskOutbox;
  connections: ZendeskConnections;
  /** What the approvals know of a ticket (read through the approvals facade). */
  tickets: TicketState;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** How long a claim holds an effect; longer than one request's timeout. */
  leaseMs: number;
  timeoutMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  onAttempt?: (event: ZendeskAttemptEvent) => void;
};

/** Effects sent at the same time by one process. */
const CONCURRENCY = 4;
/** Claims left by a crashed attempt are removed once this old. */
const CLAIM_RETENTION_MS = 24 * 60 * 60_000;
const CLAIM_SWEEP_MS = 60 * 60_000;
/** How soon, and how late at most, an effect waiting for an earlier one of its approval looks again. */
const ORDER_WAIT_MS = 500;
const MAX_ORDER_WAIT_MS = 5_000;

/**
 * Sends the Zendesk outbox: at once for an effect just queued here (`sendNow`), and from a poll that
 * is the safety net (a crash, a retry, another process's work). Each attempt is claimed first, so
 * however many processes run, one sends it. Nothing here is awaited by an approval or its answer.
 */
export class ZendeskDispatcher {
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly worker: OutboxWorker<ZendeskOutboxDoc>;
  private lastSweep = 0;

  constructor(private readonly options: ZendeskDispatcherOptions) {
    this.worker = new OutboxWorker({
      name: 'zendesk effect',
      logger: options.logger,
      intervalMs: options.intervalMs,
      concurrency: CONCURRENCY,
      batch: 50,
      findDue: (limit) => options.outbox.findDue(options.clock.now(), limit),
      attempt: (entry) => this.attempt(entry),
      beforePoll: () => this.sweepClaims(),
    });
  }

  start() {
    this.worker.start();
  }

  nudge() {
    this.worker.nudge();
  }

  /** First attempt of effects just queued by this process, without waiting for the poll. */
  sendNow(ids: string[]) {
    const { worker } = this;
    for (const id of ids) {
      if (worker.isStopping || worker.isRunning(id) || worker.isFull) continue;
      worker.run(id, async () => {
        const entry = await this.options.outbox.find(id);
        if (entry) await this.attempt(entry);
      });
    }
  }

  stop(graceMs: number) {
    return this.worker.stop(graceMs);
  }

  /** Removes, once an hour, the claims that crashed attempts left. */
  private async sweepClaims() {
    const now = this.options.clock.now();
    if (now.getTime() - this.lastSweep <= CLAIM_SWEEP_MS) return;
    this.lastSweep = now.getTime();
    await this.options.outbox.sweepClaims(new Date(now.getTime() - CLAIM_RETENTION_MS));
  }

  /** One attempt of one effect: claim, decide what to send (if anything), send, record. */
  private async attempt(seen: ZendeskOutboxDoc) {
    const { outbox, clock, connections, tickets } = this.options;
    if (seen.dueAt > clock.now()) return;
    const claimed = await outbox.claim(seen, this.owner, clock.now(), this.options.leaseMs);
    if (!claimed) return;
    const { claimId, entry } = claimed;
    const attempt = entry.attempts + 1;
    const report = (state: ZendeskAttemptEvent['state'], result: ZendeskResult | null, error: string | null) =>
      this.report({
        approvalId: entry.approvalId,
        accountId: entry.accountId,
        ticketId: entry.ticketId,
        effect: entry.effect,
        attempt,
        state,
        httpStatus: result?.kind === 'response' ? result.status : null,
        error,
      });

    // The tag goes before its removal: an untag waits while the approval's tag is still queued (until
    // the tag's next attempt, at most a few seconds; the tag's end brings it forward at once).
    if (entry.effect === 'untag') {
      const tag = await outbox.find(entryId(entry.approvalId, 'tag'));
      if (tag) {
        const now = clock.now().getTime();
        const next = Math.min(Math.max(tag.dueAt.getTime(), now + ORDER_WAIT_MS), now + MAX_ORDER_WAIT_MS);
        await outbox.postpone(entry, claimId, new Date(next));
        return;
      }
    }
    const connection = await connections.find(entry.accountId);
    const request = connection ? await requestOf(entry, connection, tickets) : null;
    if (!connection || !request) {
      await outbox.finish(entry, claimId);
      report('skipped', null, connection ? null : 'no Zendesk connection');
      if (entry.effect === 'tag') await this.untagNow(entry);
      return;
    }
    const send = (r: typeof request) =>
      sendToZendesk(connection, r, { timeoutMs: this.options.timeoutMs, signal: this.worker.signal });
    const result = await send(request);
    const now = clock.now();
    const step = zendeskStep(result, attempt, now, {
      scheduleMs: this.options.scheduleMs,
      random: this.options.random ?? Math.random,
    });
    if (step.state === 'retry') {
      await outbox.retry(entry, claimId, step.nextAttemptAt, step.error);
      await this.recordFailure(entry, attempt, 'retry', result, step.error, now);
      report('retry', result, step.error);
      return;
    }
    await outbox.finish(entry, claimId);
    if (step.state === 'failed') await this.recordFailure(entry, attempt, 'failed', result, step.error, now);
    report(step.state, result, step.state === 'failed' ? step.error : null);
    if (entry.effect === 'tag') await this.untagNow(entry);
    if (step.state === 'done' && entry.effect === 'untag') await this.retagIfPending(entry, send);
  }

  /**
   * Keeps the attempt as the account's last failure for `zendesk show` (a wrong token otherwise shows
   * only in the log). Best effort: the outbox's own record of the attempt comes first.
   */
  private async recordFailure(
    entry: ZendeskOutboxDoc,
    attempt: number,
    state: 'retry' | 'failed',
    result: ZendeskResult,
    error: string,
    at: Date,
  ) {
    const httpStatus = result.kind === 'response' ? result.status : null;
    const { approvalId, ticketId, effect } = entry;
    try {
      await this.options.outbox.recordFailure(entry.accountId, {
        at,
        approvalId,
        ticketId,
        effect,
        attempt,
        state,
        httpStatus,
        error,
      });
    } catch (err) {
      this.options.logger.warn('zendesk failure not recorded', { approvalId, error: String(err) });
    }
  }

  /** The approval's tag is sent (or given up): its removal, if it was waiting for it, goes now. */
  private async untagNow(tag: ZendeskOutboxDoc) {
    const id = entryId(tag.approvalId, 'untag');
    if (await this.options.outbox.bringForward(id, this.options.clock.now())) this.sendNow([id]);
  }

  /**
   * An approval of the ticket that arrived while its tag was being removed (its own tag may have landed
   * first) puts the tag back, so a pending approval never leaves its ticket untagged.
   */
  private async retagIfPending(
    entry: ZendeskOutboxDoc,
    send: (r: NonNullable<Awaited<ReturnType<typeof requestOf>>>) => Promise<ZendeskResult>,
  ) {
    const pending = await this.options.tickets.pendingOfTicket(entry.accountId, entry.ticketId);
    if (pending.length === 0) return;
    const result = await send({
      method: 'PUT',
      path: `/api/v2/tickets/${entry.ticketId}/tags.json`,
      body: { tags: ['cheqpoint_pending'] },
    });
    if (result.kind !== 'response' || result.status >= 300) {
      this.options.logger.warn('zendesk tag not restored', { ticketId: entry.ticketId, error: describe(result) });
    }
  }

  private report(event: ZendeskAttemptEvent) {
    const fields = { ...event };
    if (event.state === 'failed') this.options.logger.warn('zendesk effect given up', fields);
    else this.options.logger.info('zendesk effect attempted', fields);
    this.options.onAttempt?.(event);
  }
}

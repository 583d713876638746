import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Approval } from '@cheqpoint/shared';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { OutboxWorker } from '../lib/outbox-worker.js';
import type { SlackConnections } from './connections.js';
import { decidedMessage, escalationMessage, pendingMessage } from './message.js';
import { callSlack, type SlackResult } from './slack-api.js';
import { slackEntryId, type SlackOutbox } from './slack-outbox.js';
import { slackStep } from './slack-retry.js';
import type { SlackConnectionDoc, SlackEffect, SlackMessageDoc, SlackOutboxDoc } from './slack.model.js';

/** One attempt's outcome, for the log and the metrics (never the token). */
export type SlackAttemptEvent = {
  approvalId: string;
  accountId: string;
  effect: SlackEffect;
  attempt: number;
  /** `skipped`: nothing to send (disconnected, the approval gone, its message never posted). */
  state: 'done' | 'retry' | 'failed' | 'skipped';
  error: string | null;
};

/** What the dispatcher reads of an approval when it sends (its state then, not at queueing). */
export type SlackApprovalReads = {
  get: (accountId: string, approvalId: string) => Promise<Approval | null>;
  /** The ticket's page in Zendesk when the account's Zendesk connection knows where it is. */
  ticketUrl: (accountId: string, ticketId: string) => Promise<string | null>;
};

export type SlackDispatcherOptions = {
  outbox: SlackOutbox;
  connections: SlackConnections;
  approvals: SlackApprovalReads;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  /** How long a claim holds an entry; longer than one call's timeout. */
  leaseMs: number;
  timeoutMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  onAttempt?: (event: SlackAttemptEvent) => void;
  /** Runs before each poll (the gateway sweeps old interaction signatures there). */
  beforePoll?: () => Promise<void>;
};

const CONCURRENCY = 4;
const CLAIM_RETENTION_MS = 24 * 60 * 60_000;
const CLAIM_SWEEP_MS = 60 * 60_000;
/** How soon, and how late at most, an update waiting for its message's post looks again. */
const ORDER_WAIT_MS = 250;
const MAX_ORDER_WAIT_MS = 5_000;
/** How long after intake an approval's post may still be on its way into the outbox. */
const POST_QUEUEING_MS = 10_000;

/**
 * Sends the Slack outbox: at once for what this process just queued (`sendNow`), and from a poll that
 * is the safety net (a crash, a retry, another process's work). Each attempt is claimed first, so
 * however many processes run, one sends it. Nothing here is awaited by an approval or its answer.
 * The message is built when it is sent, from the approval as it is then.
 */
export class SlackDispatcher {
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly worker: OutboxWorker<SlackOutboxDoc>;
  private lastSweep = 0;

  constructor(private readonly options: SlackDispatcherOptions) {
    this.worker = new OutboxWorker({
      name: 'slack call',
      logger: options.logger,
      intervalMs: options.intervalMs,
      concurrency: CONCURRENCY,
      batch: 50,
      findDue: (limit) => options.outbox.findDue(options.clock.now(), limit),
      attempt: (entry) => this.attempt(entry),
      beforePoll: () => this.housekeeping(),
    });
  }

  start() {
    this.worker.start();
  }

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

  private async housekeeping() {
    await this.options.beforePoll?.();
    const now = this.options.clock.now();
    if (now.getTime() - this.lastSweep <= CLAIM_SWEEP_MS) return;
    this.lastSweep = now.getTime();
    await this.options.outbox.sweepClaims(new Date(now.getTime() - CLAIM_RETENTION_MS));
  }

  private async attempt(seen: SlackOutboxDoc) {
    const { outbox, clock, connections, approvals } = this.options;
    if (seen.dueAt > clock.now()) return;
    const claimed = await outbox.claim(seen, this.owner, clock.now(), this.options.leaseMs);
    if (!claimed) return;
    const { claimId, entry } = claimed;
    const attempt = entry.attempts + 1;
    const report = (state: SlackAttemptEvent['state'], error: string | null) =>
      this.report({
        approvalId: entry.approvalId,
        accountId: entry.accountId,
        effect: entry.effect,
        attempt,
        state,
        error,
      });
    const skip = async (why: string) => {
      await outbox.finish(entry, claimId);
      report('skipped', why);
    };

    const connection = await connections.find(entry.accountId);
    if (!connection) return skip('no Slack connection');
    const approval = await approvals.get(entry.accountId, entry.approvalId);
    if (!approval) return skip('approval not found');
    const message = await outbox.findMessage(entry.approvalId);
    if (entry.effect === 'post' && message) return skip('posted already');
    if (entry.effect !== 'post' && !message) {
      // The update and the thread reply need the post's ts: wait while the post is still queued.
      const post = await outbox.find(slackEntryId(entry.approvalId, 'post'));
      const now = clock.now().getTime();
      // Another process may still be queueing the post of an approval it just stored: give it a moment.
      const isYoung = now - Date.parse(approval.createdAt) < POST_QUEUEING_MS;
      if (!post && !isYoung) return skip('message never posted');
      const postDue = post ? post.dueAt.getTime() : now;
      const next = Math.min(Math.max(postDue, now + ORDER_WAIT_MS), now + MAX_ORDER_WAIT_MS);
      await outbox.postpone(entry, claimId, new Date(next));
      return;
    }

    const result = await this.send(connection, entry, approval, message);
    const now = clock.now();
    const step = slackStep(result, attempt, now, {
      scheduleMs: this.options.scheduleMs,
      random: this.options.random ?? Math.random,
    });
    if (step.state === 'retry') {
      await outbox.retry(entry, claimId, step.nextAttemptAt, step.error);
      await this.recordFailure(entry, attempt, 'retry', step.error, now);
      report('retry', step.error);
      return;
    }
    if (step.state === 'done' && entry.effect === 'post' && result.kind === 'ok') {
      const posted = result.data as { channel?: unknown; ts?: unknown };
      await outbox.saveMessage({
        _id: entry.approvalId,
        accountId: entry.accountId,
        channel: typeof posted.channel === 'string' ? posted.channel : entry.channel,
        ts: String(posted.ts),
        postedAt: now,
      });
    }
    await outbox.finish(entry, claimId);
    if (step.state === 'failed') await this.recordFailure(entry, attempt, 'failed', step.error, now);
    report(step.state, step.state === 'failed' ? step.error : null);
    if (entry.effect === 'post') await this.followUpNow(entry.approvalId);
  }

  /** The one Slack call of an entry, built from the approval as it is now. */
  private async send(
    connection: SlackConnectionDoc,
    entry: SlackOutboxDoc,
    approval: Approval,
    message: SlackMessageDoc | null,
  ): Promise<SlackResult<unknown>> {
    const { timeoutMs } = this.options;
    const now = this.options.clock.now();
    const ticketUrl = approval.ticketId
      ? await this.options.approvals.ticketUrl(entry.accountId, approval.ticketId)
      : null;
    switch (entry.effect) {
      case 'post': {
        const body =
          approval.status === 'pending'
            ? pendingMessage(approval, ticketUrl, now)
            : decidedMessage(approval, ticketUrl, now);
        return callSlack(connection, timeoutMs, (c) =>
          c.chat.postMessage({ channel: entry.channel, ...body } as never),
        );
      }
      case 'update': {
        const { channel, ts } = message as SlackMessageDoc;
        const body = decidedMessage(approval, ticketUrl, now);
        return callSlack(connection, timeoutMs, (c) => c.chat.update({ channel, ts, ...body } as never));
      }
      case 'escalation': {
        const { channel, ts } = message as SlackMessageDoc;
        const escalation = approval.policy?.escalation;
        if (!escalation) return { kind: 'ok', data: null };
        const body = escalationMessage(approval, escalation, now);
        return callSlack(connection, timeoutMs, (c) =>
          c.chat.postMessage({ channel, thread_ts: ts, ...body } as never),
        );
      }
    }
  }

  /** The post is done (or given up): an update or thread reply waiting for it goes now. */
  private async followUpNow(approvalId: string) {
    const now = this.options.clock.now();
    const ids = [slackEntryId(approvalId, 'update'), slackEntryId(approvalId, 'escalation')];
    const due = await Promise.all(ids.map((id) => this.options.outbox.bringForward(id, now)));
    this.sendNow(ids.filter((_, i) => due[i]));
  }

  private async recordFailure(
    entry: SlackOutboxDoc,
    attempt: number,
    state: 'retry' | 'failed',
    error: string,
    at: Date,
  ) {
    try {
      await this.options.outbox.recordFailure(entry.accountId, {
        at,
        approvalId: entry.approvalId,
        effect: entry.effect,
        attempt,
        state,
        error,
      });
    } catch (err) {
      this.options.logger.warn('slack failure not recorded', { approvalId: entry.approvalId, error: String(err) });
    }
  }

  private report(event: SlackAttemptEvent) {
    if (event.state === 'failed') this.options.logger.warn('slack call given up', { ...event });
    else this.options.logger.info('slack call attempted', { ...event });
    this.options.onAttempt?.(event);
  }
}

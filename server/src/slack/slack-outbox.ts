import { trusted, type Connection } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';
import {
  slackModels,
  type SlackEffect,
  type SlackFailureDoc,
  type SlackMessageDoc,
  type SlackOutboxDoc,
} from './slack.model.js';

export type NewSlackEffect = Pick<SlackOutboxDoc, 'approvalId' | 'accountId' | 'effect' | 'channel'>;

export const slackEntryId = (approvalId: string, effect: SlackEffect) => `${approvalId}:${effect}`;

/**
 * The Slack outbox (`slack_outbox`): calls still to make, keyed `<approvalId>:<effect>`, with the
 * claims (`slack_claims`) that let exactly one process make each attempt (a unique insert: FerretDB
 * v1's filtered updates are not atomic, so they cannot arbitrate), and where each approval's message
 * is (`slack_messages`, by approval id). Every read but the poll is by `_id`.
 */
export function slackOutbox(conn: Connection) {
  const { SlackOutbox, SlackClaim, SlackFailure, SlackMessage } = slackModels(conn);

  return {
    /** Queues an effect due at `at` (queueing the same effect again is a no-op: false). */
    async enqueue(effect: NewSlackEffect, at: Date): Promise<boolean> {
      return insertUnique(SlackOutbox, {
        ...effect,
        _id: slackEntryId(effect.approvalId, effect.effect),
        attempts: 0,
        dueAt: at,
        lastError: null,
        createdAt: at,
      });
    },

    async find(id: string): Promise<SlackOutboxDoc | null> {
      return SlackOutbox.findById(id).lean<SlackOutboxDoc>();
    },

    /** Entries due by `now`, soonest first (the working set is small: only what is still to send). */
    async findDue(now: Date, limit: number): Promise<SlackOutboxDoc[]> {
      const due = await SlackOutbox.find({ dueAt: trusted({ $lte: now }) }).lean<SlackOutboxDoc[]>();
      return due.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime()).slice(0, limit);
    },

    /**
     * Claims attempt `entry.attempts + 1` for `leaseMs` (one winner of the claim's unique insert; a
     * claim older than the lease, whose holder died, gives way to the next generation), then reads the
     * entry back: gone or moved on means another process sent it meanwhile. The winner pushes the
     * entry's due time past the lease so the poll leaves it alone.
     */
    async claim(
      entry: SlackOutboxDoc,
      owner: string,
      now: Date,
      leaseMs: number,
    ): Promise<{ claimId: string; entry: SlackOutboxDoc } | null> {
      for (let generation = 0; generation < 50; generation++) {
        const claimId = `${entry._id}:${entry.attempts}#${generation}`;
        if (await insertUnique(SlackClaim, { _id: claimId, owner, createdAt: now })) {
          const current = await SlackOutbox.findById(entry._id).lean<SlackOutboxDoc>();
          if (!current || current.attempts !== entry.attempts) {
            await SlackClaim.deleteOne({ _id: claimId });
            return null;
          }
          await SlackOutbox.updateOne(
            { _id: entry._id, attempts: entry.attempts },
            { $set: { dueAt: new Date(now.getTime() + leaseMs) } },
          );
          return { claimId, entry: current };
        }
        const existing = await SlackClaim.findById(claimId).lean();
        if (!existing || existing.createdAt.getTime() > now.getTime() - leaseMs) return null;
      }
      return null;
    },

    async retry(entry: SlackOutboxDoc, claimId: string, dueAt: Date, error: string) {
      await SlackOutbox.updateOne(
        { _id: entry._id, attempts: entry.attempts },
        { $set: { attempts: entry.attempts + 1, dueAt, lastError: error } },
      );
      await SlackClaim.deleteOne({ _id: claimId });
    },

    /** Not ready (its message is not posted yet): due again at `dueAt`, same attempt, claim released. */
    async postpone(entry: SlackOutboxDoc, claimId: string, dueAt: Date) {
      await SlackOutbox.updateOne({ _id: entry._id, attempts: entry.attempts }, { $set: { dueAt } });
      await SlackClaim.deleteOne({ _id: claimId });
    },

    /** Makes a waiting entry due at `now` (true when there is one). */
    async bringForward(id: string, now: Date): Promise<boolean> {
      return (
        (await SlackOutbox.updateOne({ _id: id, dueAt: trusted({ $gt: now }) }, { $set: { dueAt: now } }))
          .matchedCount > 0
      );
    },

    /** Sent, skipped or given up: the entry leaves the outbox (entry first: a later claimer finds none). */
    async finish(entry: SlackOutboxDoc, claimId: string) {
      await SlackOutbox.deleteOne({ _id: entry._id, attempts: entry.attempts });
      await SlackClaim.deleteOne({ _id: claimId });
    },

    /** Records where an approval's message is (the post's channel and ts); false if one is recorded already. */
    async saveMessage(message: SlackMessageDoc): Promise<boolean> {
      return insertUnique(SlackMessage, message);
    },

    async findMessage(approvalId: string): Promise<SlackMessageDoc | null> {
      return SlackMessage.findById(approvalId).lean<SlackMessageDoc>();
    },

    async recordFailure(accountId: string, failure: Omit<SlackFailureDoc, '_id'>) {
      await SlackFailure.replaceOne({ _id: accountId }, { _id: accountId, ...failure }, { upsert: true });
    },

    async lastFailure(accountId: string): Promise<SlackFailureDoc | null> {
      return SlackFailure.findById(accountId).lean<SlackFailureDoc>();
    },

    async sweepClaims(before: Date) {
      return (await SlackClaim.deleteMany({ createdAt: trusted({ $lt: before }) })).deletedCount;
    },
  };
}
export type SlackOutbox = ReturnType<typeof slackOutbox>;

import { trusted, type Connection } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';
import { zendeskModels, type ZendeskEffect, type ZendeskFailureDoc, type ZendeskOutboxDoc } from './zendesk.model.js';

/** An effect to queue (its entry is keyed by approval and effect). */
export type NewEffect = Pick<
  ZendeskOutboxDoc,
  'approvalId' | 'accountId' | 'ticketId' | 'effect' | 'text' | 'authorId'
>;

export const entryId = (approvalId: string, effect: ZendeskEffect) => `${approvalId}:${effect}`;

/**
 * The Zendesk outbox (`zendesk_outbox`): effects still to send, keyed `<approvalId>:<effect>`, and the
 * claims (`zendesk_claims`) that let exactly one process send each attempt, on MongoDB and FerretDB
 * alike (a unique insert; FerretDB v1's filtered updates are not atomic). Every read but the poll is by `_id`.
 */
export function zendeskOutbox(conn: Connection) {
  const { ZendeskOutbox, ZendeskClaim, ZendeskFailure } = zendeskModels(conn);

  return {
    /** Queues an effect due at `at` (a second queueing of the same effect is a no-op). */
    async enqueue(effect: NewEffect, at: Date): Promise<boolean> {
      return insertUnique(ZendeskOutbox, {
        ...effect,
        _id: entryId(effect.approvalId, effect.effect),
        attempts: 0,
        dueAt: at,
        lastError: null,
        createdAt: at,
      });
    },

    async find(id: string): Promise<ZendeskOutboxDoc | null> {
      return ZendeskOutbox.findById(id).lean<ZendeskOutboxDoc>();
    },

    /** Entries due by `now`, soonest first (the working set is small: only what is still to send). */
    async findDue(now: Date, limit: number): Promise<ZendeskOutboxDoc[]> {
      const due = await ZendeskOutbox.find({ dueAt: trusted({ $lte: now }) }).lean<ZendeskOutboxDoc[]>();
      return due.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime()).slice(0, limit);
    },

    /**
     * Claims attempt `entry.attempts + 1` for `leaseMs`: the claim record of that attempt is inserted
     * (one winner); a claim older than the lease (its holder died) gives way to the next generation.
     * The winner reads the entry back: a poll that read it before another process sent it (and
     * removed it, or moved it to its next attempt, and then its claim) finds it gone or changed, and
     * backs off. The winner pushes the entry's due time past the lease, so the poll leaves it alone
     * meanwhile. Returns the claim's id and the entry as it is now.
     */
    async claim(
      entry: ZendeskOutboxDoc,
      owner: string,
      now: Date,
      leaseMs: number,
    ): Promise<{ claimId: string; entry: ZendeskOutboxDoc } | null> {
      for (let generation = 0; generation < 50; generation++) {
        const claimId = `${entry._id}:${entry.attempts}#${generation}`;
        if (await insertUnique(ZendeskClaim, { _id: claimId, owner, createdAt: now })) {
          const current = await ZendeskOutbox.findById(entry._id).lean<ZendeskOutboxDoc>();
          if (!current || current.attempts !== entry.attempts) {
            await ZendeskClaim.deleteOne({ _id: claimId });
            return null;
          }
          await ZendeskOutbox.updateOne(
            { _id: entry._id, attempts: entry.attempts },
            { $set: { dueAt: new Date(now.getTime() + leaseMs) } },
          );
          return { claimId, entry: current };
        }
        const existing = await ZendeskClaim.findById(claimId).lean();
        if (!existing || existing.createdAt.getTime() > now.getTime() - leaseMs) return null;
      }
      return null;
    },

    /** The attempt failed and will be tried again at `dueAt`. */
    async retry(entry: ZendeskOutboxDoc, claimId: string, dueAt: Date, error: string) {
      await ZendeskOutbox.updateOne(
        { _id: entry._id, attempts: entry.attempts },
        { $set: { attempts: entry.attempts + 1, dueAt, lastError: error } },
      );
      await ZendeskClaim.deleteOne({ _id: claimId });
    },

    /**
     * Not ready yet (an earlier effect of the approval is still queued): due again at `dueAt`, same
     * attempt, its claim released (nothing was sent under it).
     */
    async postpone(entry: ZendeskOutboxDoc, claimId: string, dueAt: Date) {
      await ZendeskOutbox.updateOne({ _id: entry._id, attempts: entry.attempts }, { $set: { dueAt } });
      await ZendeskClaim.deleteOne({ _id: claimId });
    },

    /** Makes a waiting entry due at `now` (true when there is one). */
    async bringForward(id: string, now: Date): Promise<boolean> {
      return (
        (await ZendeskOutbox.updateOne({ _id: id, dueAt: trusted({ $gt: now }) }, { $set: { dueAt: now } }))
          .matchedCount > 0
      );
    },

    /** Sent, skipped or given up: the entry leaves the outbox. */
    async finish(entry: ZendeskOutboxDoc, claimId: string) {
      // Entry first, then its claim: whoever claims after this finds no entry.
      await ZendeskOutbox.deleteOne({ _id: entry._id, attempts: entry.attempts });
      await ZendeskClaim.deleteOne({ _id: claimId });
    },

    /** Keeps a failed attempt as the account's last failure (replacing the one before; by key). */
    async recordFailure(accountId: string, failure: Omit<ZendeskFailureDoc, '_id'>) {
      await ZendeskFailure.replaceOne({ _id: accountId }, { _id: accountId, ...failure }, { upsert: true });
    },

    /** The account's last failed attempt, or null when none has failed. */
    async lastFailure(accountId: string): Promise<ZendeskFailureDoc | null> {
      return ZendeskFailure.findById(accountId).lean<ZendeskFailureDoc>();
    },

    /** Removes claims older than `before` that a crashed attempt left. */
    async sweepClaims(before: Date) {
      return (await ZendeskClaim.deleteMany({ createdAt: trusted({ $lt: before }) })).deletedCount;
    },
  };
}
export type ZendeskOutbox = ReturnType<typeof zendeskOutbox>;

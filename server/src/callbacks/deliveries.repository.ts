import type { Connection, Model } from 'mongoose';
import { trusted } from 'mongoose';
import { accountModels } from '../accounts/account.model.js';
import { insertUnique } from '../db/insert-unique.js';
import {
  callbackModels,
  FINAL_DELIVERY_STATES,
  type CallbackSubject,
  type DecisionRecord,
  type DeliveryState,
} from './delivery.model.js';
import type { ExecutionState } from '@cheqpoint/shared';
import type { AttemptResult, NextStep } from './retry-schedule.js';

/** A due delivery as the poll sees it. */
export type DueDelivery = { _id: string; attempts: number; nextAttemptAt: Date };

export type RedeliverResult =
  | { kind: 'not-found' }
  | { kind: 'not-decided' }
  | { kind: 'no-callback' }
  /** An attempt holds the delivery's lease now (its result decides what comes next). */
  | { kind: 'in-flight'; attempt: number; leaseUntil: Date }
  | { kind: 'queued'; accountId: string; previousState: DeliveryState };

/** Where the deliveries live: the decision records (owned by approvals/) and how to read an approval. */
export type DeliverySources = {
  decisions: Model<DecisionRecord>;
  /** The approval a decision belongs to, by `_id` (null when it no longer exists). */
  findSubject: (approvalId: string) => Promise<CallbackSubject | null>;
  /** What Cheqpoint does about the action (actions/), as the callback body says it; null: nothing. */
  findExecution?: (approvalId: string) => Promise<ExecutionState | null>;
};

/** Entries of the outbox whose decision record is missing are looked at again after this long. */
const ORPHAN_RECHECK_MS = 60_000;

/**
 * Reads and writes the callback outbox: the `delivery` part of each decision record (written with the
 * decision itself, in one insert), and the outbox's working set of deliveries not final yet
 * (`callback_outbox`), which is all the dispatcher's poll reads. Every other read and write is by `_id`.
 */
export function deliveriesRepository(conn: Connection, sources: DeliverySources) {
  const { decisions: Decision } = sources;
  const { Outbox, DeliveryClaim } = callbackModels(conn);
  const { Account } = accountModels(conn);

  /** Inserts the claim of `slot`, or of its next generation when the existing one is older than a lease. */
  async function insertClaim(slot: string, token: string, now: Date, leaseMs: number): Promise<string | null> {
    for (let generation = 0; generation < 50; generation++) {
      const claimId = `${slot}#${generation}`;
      if (await insertUnique(DeliveryClaim, { _id: claimId, owner: token, createdAt: now })) return claimId;
      const existing = await DeliveryClaim.findById(claimId).lean();
      if (!existing || existing.createdAt.getTime() > now.getTime() - leaseMs) return null;
    }
    return null;
  }

  /** The entry is due again at `dueAt` (a hint: the delivery's own nextAttemptAt is the truth). */
  async function reschedule(approvalId: string, dueAt: Date) {
    await Outbox.updateOne({ _id: approvalId }, { $set: { dueAt } });
  }

  /** Writes the outbox entry of a delivery due at `dueAt` (an existing one is made due then). */
  async function prepare(approvalId: string, dueAt: Date) {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await insertUnique(Outbox, { _id: approvalId, dueAt, createdAt: dueAt })) return;
      const moved = await Outbox.updateOne({ _id: approvalId }, { $set: { dueAt } });
      if (moved.matchedCount > 0) return;
      // Removed between the insert and the update (a poll or an attempt that saw the delivery final
      // just before a redelivery made it pending): insert it again, or the delivery is never sent.
    }
    throw new Error(`Could not write the callback outbox entry of ${approvalId}`);
  }

  /**
   * Removes the entry of a delivery seen final (only while it is still due at `dueAt`, when given),
   * then reads the delivery again: a redelivery that made it pending meanwhile may have written its
   * entry before this removal took it (it writes the record, then the entry; and a filtered delete is
   * not atomic on FerretDB v1), so a pending one gets its entry back. Without that second look the
   * redelivery would answer 202 and never be sent: nothing else finds a delivery without an entry.
   */
  async function removeEntry(approvalId: string, dueAt?: Date) {
    await Outbox.deleteOne(dueAt ? { _id: approvalId, dueAt } : { _id: approvalId });
    const decision = await Decision.findById(approvalId, { delivery: 1 }).lean<DecisionRecord>();
    const delivery = decision?.delivery;
    if (delivery?.state === 'pending') await prepare(approvalId, delivery.nextAttemptAt ?? new Date());
  }

  return {
    /** Writes the outbox entry of a decision about to be made (a duplicate is fine). */
    prepare,

    /**
     * Deliveries whose time has come, from the outbox's working set (a claimed one is due again only
     * when its lease ends). Entries that turn out not to be due are rescheduled to the delivery's own
     * time; finished ones are removed.
     */
    async findDue(now: Date, limit: number, skip: (id: string) => boolean = () => false): Promise<DueDelivery[]> {
      const entries = await Outbox.find({ dueAt: trusted({ $lte: now }) }).lean();
      const due: DueDelivery[] = [];
      for (const entry of entries.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())) {
        if (due.length >= limit) break;
        if (skip(entry._id)) continue;
        const decision = await Decision.findById(entry._id, { _id: 1, delivery: 1 }).lean<DecisionRecord>();
        if (!decision) {
          // Written just before its decision record, which has not landed yet (the decider sends the first
          // attempt itself): leave it due. One left by a decider that died first is looked at less often.
          if (now.getTime() - entry.createdAt.getTime() > ORPHAN_RECHECK_MS) {
            await reschedule(entry._id, new Date(now.getTime() + ORPHAN_RECHECK_MS));
          }
          continue;
        }
        const { delivery } = decision;
        if (delivery.state !== 'pending') {
          // Only if nobody refreshed the entry meanwhile (a redelivery writes it again, with a new time).
          await removeEntry(entry._id, entry.dueAt);
          continue;
        }
        const nextAttemptAt = delivery.nextAttemptAt ?? now;
        if (nextAttemptAt > now) {
          await reschedule(entry._id, nextAttemptAt);
          continue;
        }
        due.push({ _id: decision._id, attempts: delivery.attempts, nextAttemptAt });
      }
      return due;
    },

    /** The delivery of one decision as a due item, when it is due now (the first attempt's fast path). */
    async dueNow(approvalId: string, now: Date): Promise<DueDelivery | null> {
      const decision = await Decision.findById(approvalId, { _id: 1, delivery: 1 }).lean<DecisionRecord>();
      const delivery = decision?.delivery;
      if (!delivery || delivery.state !== 'pending' || (delivery.nextAttemptAt ?? now) > now) return null;
      return { _id: approvalId, attempts: delivery.attempts, nextAttemptAt: delivery.nextAttemptAt ?? now };
    },

    /**
     * Claims a due delivery for one attempt, in two steps:
     * 1. insert the claim record of this due slot (the delivery's attempt count and due time as the poll
     *    saw them) into `delivery_claims`, whose unique `_id` lets exactly one dispatcher through, on
     *    MongoDB and FerretDB alike (FerretDB v1 applies a filtered update as read, modify, write back
     *    the whole document, so two updates could both "match" and the later one would undo the other);
     * 2. the winner alone sets the lease token, lease end (also the next due time, so an abandoned lease
     *    is picked up again by the poll) and attempts + 1, then reads it back.
     * A claimer that died between the two steps leaves a claim and an unchanged slot: once the claim is
     * older than the lease, the next generation of the slot's claim (`#1`, `#2`, …) can be inserted.
     * Returns the claimed record and its claim's id, or null when another dispatcher has it.
     */
    async claim(
      due: DueDelivery,
      token: string,
      now: Date,
      leaseUntil: Date,
    ): Promise<{ decision: DecisionRecord; claimId: string } | null> {
      const slot = `${due._id}:${due.attempts}:${due.nextAttemptAt.getTime()}`;
      const claimId = await insertClaim(slot, token, now, leaseUntil.getTime() - now.getTime());
      if (!claimId) return null;
      const attempts = due.attempts + 1;
      const result = await Decision.updateOne(
        {
          _id: due._id,
          'delivery.state': 'pending',
          'delivery.attempts': due.attempts,
          'delivery.nextAttemptAt': trusted({ $lte: now }),
        },
        {
          $set: {
            'delivery.leaseOwner': token,
            'delivery.leaseUntil': leaseUntil,
            'delivery.nextAttemptAt': leaseUntil,
            'delivery.attempts': attempts,
            'delivery.lastAttemptAt': now,
          },
        },
      );
      if (result.matchedCount === 0) {
        // The slot moved on before our update (another attempt was recorded): this claim is void.
        await DeliveryClaim.deleteOne({ _id: claimId });
        return null;
      }
      const doc = await Decision.findById(due._id).lean<DecisionRecord>();
      if (!doc || doc.delivery.leaseOwner !== token || doc.delivery.attempts !== attempts) return null;
      // Due again when the lease ends (if this attempt is never recorded).
      await reschedule(due._id, leaseUntil);
      return { decision: doc, claimId };
    },

    /** What an attempt needs besides the decision: the approval and the account's signing secrets. */
    async context(decision: DecisionRecord) {
      const found = await sources.findSubject(decision._id);
      const approval = found && found.accountId === decision.accountId ? found : null;
      const [account, execution] = await Promise.all([
        Account.findById(decision.accountId, { signingSecrets: 1 }).lean(),
        approval && sources.findExecution ? sources.findExecution(decision._id) : null,
      ]);
      return { approval, signingSecrets: account?.signingSecrets ?? null, execution };
    },

    /**
     * Records an attempt's outcome, fenced on (lease token, attempt number): a worker whose lease
     * expired and was claimed again writes nothing. Then the outbox entry follows: removed once the
     * delivery is final, else due at the next attempt; and the attempt's claim record is removed (its
     * slot can never be due again). Returns false when the write was fenced off.
     */
    async recordResult(
      id: string,
      token: string,
      attempt: number,
      step: NextStep,
      result: AttemptResult,
      now: Date,
      claimId: string,
    ): Promise<boolean> {
      const written = await Decision.updateOne(
        { _id: id, 'delivery.leaseOwner': token, 'delivery.attempts': attempt },
        {
          $set: {
            'delivery.state': step.state,
            'delivery.nextAttemptAt': step.state === 'pending' ? step.nextAttemptAt : null,
            'delivery.lastError': step.lastError,
            'delivery.lastStatus': result.kind === 'response' ? result.status : null,
            'delivery.leaseOwner': null,
            'delivery.leaseUntil': null,
            ...(step.state === 'delivered' ? { 'delivery.deliveredAt': now } : {}),
          },
        },
      );
      if (written.matchedCount === 0) return false;
      await Promise.all([
        step.state === 'pending' ? reschedule(id, step.nextAttemptAt) : removeEntry(id),
        DeliveryClaim.deleteOne({ _id: claimId }),
      ]);
      return true;
    },

    async findDelivery(accountId: string, approvalId: string) {
      const decision = await Decision.findOne({ _id: approvalId, accountId }, { delivery: 1 }).lean<DecisionRecord>();
      return decision?.delivery ?? null;
    },

    /**
     * Makes a finished delivery (delivered, dead, gone, blocked) pending again now, with a fresh
     * schedule and the same webhook-id; a pending one not in flight becomes due now; one in flight (an
     * attempt holds its lease) is left alone, and the caller is told so. `accountId` null is the
     * operator's CLI (any account).
     */
    async redeliver(accountId: string | null, approvalId: string, now: Date): Promise<RedeliverResult> {
      const scope = accountId === null ? { _id: approvalId } : { _id: approvalId, accountId };
      const decision = await Decision.findOne(scope).lean<DecisionRecord>();
      if (!decision) {
        const subject = await sources.findSubject(approvalId);
        const isVisible = subject !== null && (accountId === null || subject.accountId === accountId);
        return isVisible ? { kind: 'not-decided' } : { kind: 'not-found' };
      }
      const delivery = decision.delivery;
      if (delivery.state === 'none' || !delivery.callbackUrl) return { kind: 'no-callback' };
      if (delivery.state === 'pending') {
        if (delivery.leaseOwner && delivery.leaseUntil && delivery.leaseUntil > now) {
          return { kind: 'in-flight', attempt: delivery.attempts, leaseUntil: delivery.leaseUntil };
        }
        await prepare(decision._id, now);
        await Decision.updateOne(
          { _id: decision._id, 'delivery.state': 'pending', 'delivery.attempts': delivery.attempts },
          { $set: { 'delivery.nextAttemptAt': now, 'delivery.leaseOwner': null, 'delivery.leaseUntil': null } },
        );
        return { kind: 'queued', accountId: decision.accountId, previousState: 'pending' };
      }
      if (!(FINAL_DELIVERY_STATES as readonly DeliveryState[]).includes(delivery.state)) return { kind: 'no-callback' };
      // Entry, record, entry again: the poll removes an entry whose delivery it sees final only if the
      // entry was not written again since it read it, and a crash in between leaves the entry, not a
      // pending delivery without one.
      await prepare(decision._id, now);
      await Decision.updateOne(
        { _id: decision._id, 'delivery.state': delivery.state },
        {
          $set: {
            'delivery.state': 'pending',
            'delivery.attempts': 0,
            'delivery.nextAttemptAt': now,
            'delivery.leaseOwner': null,
            'delivery.leaseUntil': null,
          },
        },
      );
      await prepare(decision._id, new Date(now.getTime() + 1));
      return { kind: 'queued', accountId: decision.accountId, previousState: delivery.state };
    },

    /** Removes claim records older than `before` that a crashed attempt left (a scan of a small set). */
    async sweepDeliveryClaims(before: Date) {
      const result = await DeliveryClaim.deleteMany({ createdAt: trusted({ $lt: before }) });
      return result.deletedCount;
    },
  };
}
export type DeliveriesRepository = ReturnType<typeof deliveriesRepository>;

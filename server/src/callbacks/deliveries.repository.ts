import { trusted, type Connection } from 'mongoose';
import { accountModels } from '../accounts/account.model.js';
import { approvalModels, type ApprovalDoc, type DecisionDoc, type DeliveryState } from '../approvals/approval.model.js';
import { isDuplicateKey } from '../db/errors.js';
import type { AttemptResult, NextStep } from './retry-schedule.js';

/** A due delivery as the poll sees it. */
export type DueDelivery = { _id: string; attempts: number; nextAttemptAt: Date };

/** Delivery states a redeliver starts again from. */
const FINISHED_STATES: readonly DeliveryState[] = ['delivered', 'dead', 'gone', 'blocked'];

export type RedeliverResult =
  | { kind: 'not-found' }
  | { kind: 'not-decided' }
  | { kind: 'no-callback' }
  | { kind: 'in-flight' }
  | { kind: 'queued'; accountId: string; previousState: DeliveryState };

/**
 * Reads and writes the callback outbox: the `delivery` part of each decision record. The outbox is
 * written with the decision itself (one insert), so a decision never exists without its delivery.
 */
export function deliveriesRepository(conn: Connection) {
  const { Approval, Decision, DeliveryClaim } = approvalModels(conn);
  const { Account } = accountModels(conn);

  /** Inserts the claim of `slot`, or of its next generation when the existing one is older than a lease. */
  async function insertClaim(slot: string, token: string, now: Date, leaseMs: number): Promise<boolean> {
    for (let generation = 0; generation < 50; generation++) {
      const claimId = `${slot}#${generation}`;
      try {
        await DeliveryClaim.collection.insertOne({ _id: claimId, owner: token, createdAt: now } as never);
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const existing = await DeliveryClaim.findById(claimId).lean();
      if (!existing || existing.createdAt.getTime() > now.getTime() - leaseMs) return false;
    }
    return false;
  }

  return {
    /** Pending deliveries whose time has come (a claimed one is due again only when its lease ends). */
    async findDue(now: Date, limit: number): Promise<DueDelivery[]> {
      const found = await Decision.find(
        { 'delivery.state': 'pending', 'delivery.nextAttemptAt': trusted({ $lte: now }) },
        { _id: 1, 'delivery.attempts': 1, 'delivery.nextAttemptAt': 1 },
      )
        .sort({ 'delivery.nextAttemptAt': 1 })
        .limit(limit)
        .lean<Pick<DecisionDoc, '_id' | 'delivery'>[]>();
      return found.map((d) => ({
        _id: d._id,
        attempts: d.delivery.attempts,
        nextAttemptAt: d.delivery.nextAttemptAt ?? new Date(0),
      }));
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
     * Returns the claimed record, or null when another dispatcher has it.
     */
    async claim(due: DueDelivery, token: string, now: Date, leaseUntil: Date): Promise<DecisionDoc | null> {
      const slot = `${due._id}:${due.attempts}:${due.nextAttemptAt.getTime()}`;
      if (!(await insertClaim(slot, token, now, leaseUntil.getTime() - now.getTime()))) return null;
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
      if (result.matchedCount === 0) return null;
      const doc = await Decision.findById(due._id).lean<DecisionDoc>();
      if (!doc || doc.delivery.leaseOwner !== token || doc.delivery.attempts !== attempts) return null;
      return doc;
    },

    /** What an attempt needs besides the decision: the approval and the account's signing secrets. */
    async context(decision: DecisionDoc) {
      // By `_id` alone (served by key on every backend), the account checked here.
      const found = await Approval.findById(decision._id).lean<ApprovalDoc>();
      const approval = found && found.accountId === decision.accountId ? found : null;
      const account = await Account.findById(decision.accountId, { signingSecrets: 1 }).lean();
      return { approval, signingSecrets: account?.signingSecrets ?? null };
    },

    /**
     * Records an attempt's outcome, fenced on (lease token, attempt number): a worker whose lease
     * expired and was claimed again writes nothing. Returns false when the write was fenced off.
     */
    async recordResult(
      id: string,
      token: string,
      attempt: number,
      step: NextStep,
      result: AttemptResult,
      now: Date,
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
      return written.matchedCount > 0;
    },

    async findDelivery(accountId: string, approvalId: string) {
      const decision = await Decision.findOne({ _id: approvalId, accountId }, { delivery: 1 }).lean<DecisionDoc>();
      return decision?.delivery ?? null;
    },

    /**
     * Makes a finished delivery (delivered, dead, gone, blocked) pending again now, with a fresh
     * schedule and the same webhook-id; a pending one not in flight becomes due now. `accountId` null
     * is the operator's CLI (any account).
     */
    async redeliver(accountId: string | null, approvalId: string, now: Date): Promise<RedeliverResult> {
      const scope = accountId === null ? { _id: approvalId } : { _id: approvalId, accountId };
      const decision = await Decision.findOne(scope).lean<DecisionDoc>();
      if (!decision) {
        return (await Approval.exists(scope)) ? { kind: 'not-decided' } : { kind: 'not-found' };
      }
      const delivery = decision.delivery;
      if (delivery.state === 'none' || !delivery.callbackUrl) return { kind: 'no-callback' };
      if (delivery.state === 'pending') {
        if (delivery.leaseOwner && delivery.leaseUntil && delivery.leaseUntil > now) return { kind: 'in-flight' };
        await Decision.updateOne(
          { _id: decision._id, 'delivery.state': 'pending', 'delivery.attempts': delivery.attempts },
          { $set: { 'delivery.nextAttemptAt': now, 'delivery.leaseOwner': null, 'delivery.leaseUntil': null } },
        );
        return { kind: 'queued', accountId: decision.accountId, previousState: 'pending' };
      }
      if (!FINISHED_STATES.includes(delivery.state)) return { kind: 'no-callback' };
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
      return { kind: 'queued', accountId: decision.accountId, previousState: delivery.state };
    },
  };
}
export type DeliveriesRepository = ReturnType<typeof deliveriesRepository>;

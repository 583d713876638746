import { trusted, type Connection } from 'mongoose';
import { isDuplicateKey } from '../db/errors.js';
import { approvalModels, type ApprovalDoc, type DecisionDoc, type IdempotencyDoc } from './approval.model.js';

/** How many decided approvals the ticket view shows after the pending ones. */
const DECIDED_PER_TICKET = 20;

/**
 * The only module that touches the approval collections. Every call is scoped by account.
 * Filters run with mongoose `sanitizeFilter`; operators written here are marked `trusted()`.
 *
 * Reads of one approval or decision filter on `_id` alone and check the account in code: ids are
 * random and global, and `{ _id }` is the one filter FerretDB's SQLite backend hands to SQLite instead
 * of decoding and testing every document of the collection in Go (MongoDB serves both from an index).
 */
export function approvalsRepository(conn: Connection) {
  const { Approval, Decision, Idempotency, DeliveryClaim } = approvalModels(conn);

  /** Brings a lagging approval status in line with its decision record (crash between two writes). */
  async function repair(doc: ApprovalDoc, decision: DecisionDoc) {
    await Approval.updateOne({ _id: doc._id, status: 'pending' }, { $set: statusFields(decision) });
  }

  function statusFields(decision: DecisionDoc) {
    return {
      status: decision.outcome,
      decidedAt: decision.decidedAt,
      decisionNote: decision.note,
      modifiedDetailsJson: decision.modifiedDetailsJson,
      decidedBy: decision.decidedBy,
    };
  }

  /**
   * Decision records for those of `docs` still marked pending (repairing the lag) and for those with a
   * callbackUrl (their callback's delivery state lives on the decision).
   */
  async function decisionsFor(docs: ApprovalDoc[]): Promise<Map<string, DecisionDoc>> {
    const wanted = docs.filter((d) => d.status === 'pending' || d.callbackUrl !== null).map((d) => d._id);
    const map = new Map<string, DecisionDoc>();
    if (wanted.length === 0) return map;
    const found =
      wanted.length === 1
        ? await Decision.find({ _id: wanted[0] }).lean<DecisionDoc[]>()
        : await Decision.find({ _id: trusted({ $in: wanted }) }).lean<DecisionDoc[]>();
    for (const decision of found) {
      map.set(decision._id, decision);
      const doc = docs.find((d) => d._id === decision._id);
      if (doc?.status === 'pending') await repair(doc, decision);
    }
    return map;
  }

  return {
    /** Inserts the approval; false when one with this id exists already. */
    async insertApproval(doc: ApprovalDoc): Promise<boolean> {
      try {
        await Approval.collection.insertOne(doc as never);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },

    async findApproval(accountId: string, approvalId: string) {
      const doc = await Approval.findOne({ _id: approvalId }).lean<ApprovalDoc>();
      if (!doc || doc.accountId !== accountId) return null;
      const decision = (await decisionsFor([doc])).get(doc._id) ?? null;
      return { doc, decision };
    },

    async findDecision(accountId: string, approvalId: string) {
      const decision = await Decision.findOne({ _id: approvalId }).lean<DecisionDoc>();
      return decision && decision.accountId === accountId ? decision : null;
    },

    /** Ids among `ids` that have a decision record (any account; used by the shared wait watcher). */
    async decidedAmong(ids: string[]): Promise<string[]> {
      const found = await Decision.find({ _id: trusted({ $in: ids }) }, { _id: 1 }).lean<{ _id: string }[]>();
      return found.map((d) => d._id);
    },

    /** The race arbiter: true for the one caller whose insert lands first. */
    async insertDecision(decision: DecisionDoc): Promise<boolean> {
      try {
        await Decision.collection.insertOne(decision as never);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },

    /**
     * Denormalises the decision onto the approval (readers repair it if this write is lost). The
     * decision was made for an approval read with its account checked, so `_id` alone names it.
     */
    async markDecided(decision: DecisionDoc) {
      await Approval.updateOne({ _id: decision._id }, { $set: statusFields(decision) });
    },

    /** Pending approvals of a ticket (oldest first), then its latest decided ones. */
    async listForTicket(accountId: string, ticketId: string) {
      const pending = await Approval.find({ accountId, ticketId, status: 'pending' })
        .sort({ createdAt: 1 })
        .limit(200)
        .lean<ApprovalDoc[]>();
      const decided = await Approval.find({ accountId, ticketId, status: trusted({ $in: ['approved', 'rejected'] }) })
        .sort({ createdAt: -1 })
        .limit(DECIDED_PER_TICKET)
        .lean<ApprovalDoc[]>();
      const decisions = await decisionsFor(pending);
      return { docs: [...pending, ...decided], decisions };
    },

    /** Approvals of the account by status (pending oldest first, decided newest first). */
    async listByStatus(accountId: string, status: ApprovalDoc['status'], limit: number, action?: string) {
      const docs = await Approval.find({ accountId, status, ...(action ? { action } : {}) })
        .sort({ createdAt: status === 'pending' ? 1 : -1 })
        .limit(limit)
        .lean<ApprovalDoc[]>();
      return { docs, decisions: await decisionsFor(docs) };
    },

    /** Pending approvals of any account whose expiry has passed, oldest expiry first. */
    async findExpiredPending(now: Date, limit: number) {
      return Approval.find({ status: 'pending', expiresAt: trusted({ $lte: now }) })
        .sort({ expiresAt: 1 })
        .limit(limit)
        .lean<ApprovalDoc[]>();
    },

    /** Claims an idempotency key; false when a record exists already. */
    async insertIdempotency(record: IdempotencyDoc): Promise<boolean> {
      try {
        await Idempotency.collection.insertOne(record as never);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },

    async findIdempotency(id: string) {
      return Idempotency.findById(id).lean<IdempotencyDoc>();
    },

    /** Frees a key, only if it still points at the same approval. */
    async releaseIdempotency(id: string, approvalId: string) {
      await Idempotency.deleteOne({ _id: id, approvalId });
    },

    /** Removes idempotency records past their retention. */
    async sweepIdempotency(now: Date) {
      const result = await Idempotency.deleteMany({ expiresAt: trusted({ $lte: now }) });
      return result.deletedCount;
    },

    /** Removes callback claim records older than `before` (their slots can never be due again). */
    async sweepDeliveryClaims(before: Date) {
      const result = await DeliveryClaim.deleteMany({ createdAt: trusted({ $lt: before }) });
      return result.deletedCount;
    },
  };
}
export type ApprovalsRepository = ReturnType<typeof approvalsRepository>;

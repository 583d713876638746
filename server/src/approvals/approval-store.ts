import type { Connection } from 'mongoose';
import { executionModels, type ExecutionDoc } from '../actions/execution.model.js';
import { findByIds } from '../db/find-by-ids.js';
import { insertUnique } from '../db/insert-unique.js';
import { approvalModels, type ApprovalDoc, type DecisionDoc, type IdempotencyDoc } from './approval.model.js';
import { escalationRecords } from './escalation-records.js';
import { voteStore } from './votes.js';

/** An approval as stored, with its decision record when it has one. */
export type StoredApproval = { doc: ApprovalDoc; decision: DecisionDoc | null };

/**
 * Approvals, decisions and idempotency records, read and written by `_id` only: ids are random and
 * global, the account is checked in code, and an `_id` lookup is an index search on every backend
 * (MongoDB, FerretDB on SQLite with the build's patch, FerretDB on PostgreSQL).
 */
export function approvalStore(conn: Connection) {
  const { Approval, Decision, Idempotency } = approvalModels(conn);
  const { Execution } = executionModels(conn);

  /**
   * A decision with its execution as it is now: the decision record keeps the copy it was inserted
   * with, the execution's own document (actions/) what happened since. Read by key, and only for
   * decisions that have one.
   */
  async function withExecution(decision: DecisionDoc | null): Promise<DecisionDoc | null> {
    if (!decision?.execution) return decision;
    const current = await Execution.findById(decision._id).lean<ExecutionDoc>();
    return current ? { ...decision, execution: current } : decision;
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

  async function findDecision(accountId: string, approvalId: string): Promise<DecisionDoc | null> {
    const decision = await Decision.findById(approvalId).lean<DecisionDoc>();
    return decision && decision.accountId === accountId ? decision : null;
  }

  return {
    /** The votes of approvals that need several approvers. */
    votes: voteStore(conn),
    /** Which approvals' escalations applied (one record each). */
    escalations: escalationRecords(conn),

    /** Inserts the approval; false when one with this id exists already. */
    insertApproval: (doc: ApprovalDoc) => insertUnique(Approval, doc),

    /** The race arbiter of a decision: true for the one caller whose insert lands first. */
    insertDecision: (decision: DecisionDoc) => insertUnique(Decision, decision),

    /**
     * The approval and its decision record, when it has one (an approval still marked pending may lag
     * behind its decision, which is then written back; a callback's delivery state lives on the decision).
     */
    async findApproval(accountId: string, approvalId: string): Promise<StoredApproval | null> {
      // Both by the same key, at once: one round trip instead of two.
      const [doc, stored] = await Promise.all([
        Approval.findById(approvalId).lean<ApprovalDoc>(),
        findDecision(accountId, approvalId),
      ]);
      if (!doc || doc.accountId !== accountId) return null;
      const decision = await withExecution(stored);
      if (decision && doc.status === 'pending') {
        await Approval.updateOne({ _id: doc._id, status: 'pending' }, { $set: statusFields(decision) });
      }
      return { doc, decision };
    },

    findDecision,

    /**
     * Several approvals of the account at once (two queries side by side: the approvals and their
     * decisions), in the order of `ids`; unknown ids and other accounts' are left out.
     */
    async findApprovals(accountId: string, ids: readonly string[]): Promise<StoredApproval[]> {
      // Decisions share their approval's _id: both batches at once, one round trip.
      const [docs, decisions] = await Promise.all([findByIds(Approval, ids), findByIds(Decision, ids)]);
      // Executions only of the decisions that have one (most have none): one batch by key.
      const withExecutions = [...decisions.values()].filter((d) => d.execution).map((d) => d._id);
      const executions = withExecutions.length > 0 ? await findByIds(Execution, withExecutions) : new Map();
      const mine = ids.flatMap((id) => {
        const doc = docs.get(id);
        return doc && doc.accountId === accountId ? [doc] : [];
      });
      return Promise.all(
        mine.map(async (doc) => {
          const found = decisions.get(doc._id);
          const current = found ? (executions.get(doc._id) as ExecutionDoc | undefined) : undefined;
          const decision =
            found && found.accountId === accountId ? (current ? { ...found, execution: current } : found) : null;
          if (decision && doc.status === 'pending') {
            await Approval.updateOne({ _id: doc._id, status: 'pending' }, { $set: statusFields(decision) });
          }
          return { doc, decision };
        }),
      );
    },

    /**
     * Denormalises the decision onto the approval (readers repair it if this write is lost). The
     * decision was made for an approval read with its account checked, so `_id` alone names it.
     */
    async markDecided(decision: DecisionDoc) {
      await Approval.updateOne({ _id: decision._id }, { $set: statusFields(decision) });
    },

    /** Claims an idempotency key; false when a record exists already. */
    insertIdempotency: (record: IdempotencyDoc) => insertUnique(Idempotency, record),

    findIdempotency: (id: string) => Idempotency.findById(id).lean<IdempotencyDoc>().exec(),

    /** Frees a key, only if it still points at the same approval. */
    async releaseIdempotency(id: string, approvalId: string) {
      await Idempotency.deleteOne({ _id: id, approvalId });
    },

    /** Removes one idempotency record if its retention has passed (by key; see maintenance). */
    async expireIdempotency(id: string, now: Date): Promise<boolean> {
      const record = await Idempotency.findById(id, { expiresAt: 1 }).lean<Pick<IdempotencyDoc, 'expiresAt'>>();
      if (!record || record.expiresAt > now) return false;
      await Idempotency.deleteOne({ _id: id });
      return true;
    },
  };
}
export type ApprovalStore = ReturnType<typeof approvalStore>;

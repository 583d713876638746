import type { Connection, Model } from 'mongoose';
import { trusted } from 'mongoose';
import type { DecidedBy } from '@cheqpoint/shared';
import { insertUnique } from '../db/insert-unique.js';
import { executionModels, type ExecutionDoc, type ExecutionRecord, type LearnedDoc } from './execution.model.js';

/** What an execution needs of a decision record (its `_id` is the approval id). */
export type ExecutionDecision = {
  _id: string;
  accountId: string;
  outcome: 'approved' | 'rejected';
  note: string | null;
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy;
  execution?: ExecutionRecord | null;
};

/** What an execution needs of the approval. */
export type ExecutionSubject = {
  _id: string;
  accountId: string;
  detailsJson: string;
  ticketId: string | null;
  /** The approval's action name (what a held list of one action listens for). */
  action: string;
  actionJson?: string | null;
};

/** Where the executions live: the decision records (owned by approvals/) and how to read an approval. */
export type ExecutionSources = {
  decisions: Model<ExecutionDecision>;
  findSubject: (approvalId: string) => Promise<ExecutionSubject | null>;
};

export type DueExecution = { _id: string; attempts: number; nextAttemptAt: Date };

export type RetryResult =
  | { kind: 'not-found' }
  | { kind: 'not-failed'; state: ExecutionRecord['state'] | 'none' }
  | { kind: 'queued'; accountId: string };

/** Entries whose decision record is missing are looked at again after this long. */
const ORPHAN_RECHECK_MS = 60_000;

/**
 * Reads and writes the execution outbox: each execution's document (`executions`, made from the copy
 * its decision record was inserted with, by whoever needs it first) and the working set of executions
 * not final yet (`execution_outbox`), which is all the poll reads. Every other read and write is by `_id`. Built like the callback outbox
 * (callbacks/deliveries.repository.ts): one claim record per attempt, inserted once, then a fenced update.
 */
export function executionsRepository(conn: Connection, sources: ExecutionSources) {
  const { decisions: Decision } = sources;
  const { Execution, ExecutionEntry, ExecutionClaim, Learned } = executionModels(conn);

  /**
   * The execution's own document; made from its decision record's copy when it is not written yet
   * (the decider writes it right after the decision; a decider that died first leaves it to this).
   * Null when the decision has none (or is not written yet).
   */
  async function current(approvalId: string): Promise<ExecutionDoc | null> {
    const doc = await Execution.findById(approvalId).lean<ExecutionDoc>();
    if (doc) return doc;
    const decision = await Decision.findById(approvalId, { accountId: 1, execution: 1 }).lean<ExecutionDecision>();
    if (!decision?.execution) return null;
    const made: ExecutionDoc = { ...decision.execution, _id: approvalId, accountId: decision.accountId };
    if (await insertUnique(Execution, made)) return made;
    return Execution.findById(approvalId).lean<ExecutionDoc>();
  }

  async function reschedule(approvalId: string, dueAt: Date) {
    await ExecutionEntry.updateOne({ _id: approvalId }, { $set: { dueAt } });
  }

  async function prepare(approvalId: string, dueAt: Date) {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await insertUnique(ExecutionEntry, { _id: approvalId, dueAt, createdAt: dueAt })) return;
      const moved = await ExecutionEntry.updateOne({ _id: approvalId }, { $set: { dueAt } });
      if (moved.matchedCount > 0) return;
      // Removed between the insert and the update (an attempt that saw it final just before a retry
      // made it pending): insert it again, or the retry would never run.
    }
    throw new Error(`Could not write the execution outbox entry of ${approvalId}`);
  }

  /** Removes the entry of an execution seen final, then looks again (a retry may have made it pending meanwhile). */
  async function removeEntry(approvalId: string, dueAt?: Date) {
    await ExecutionEntry.deleteOne(dueAt ? { _id: approvalId, dueAt } : { _id: approvalId });
    const execution = await Execution.findById(approvalId, { state: 1, nextAttemptAt: 1 }).lean<ExecutionDoc>();
    if (execution?.state === 'pending') await prepare(approvalId, execution.nextAttemptAt ?? new Date());
  }

  async function insertClaim(slot: string, token: string, now: Date, leaseMs: number): Promise<string | null> {
    for (let generation = 0; generation < 50; generation++) {
      const claimId = `${slot}#${generation}`;
      if (await insertUnique(ExecutionClaim, { _id: claimId, owner: token, createdAt: now })) return claimId;
      const existing = await ExecutionClaim.findById(claimId).lean();
      if (!existing || existing.createdAt.getTime() > now.getTime() - leaseMs) return null;
    }
    return null;
  }

  return {
    prepare,

    /** Writes the execution's own document right after its decision (a duplicate is fine). */
    async create(approvalId: string) {
      await current(approvalId);
    },

    /** The execution of a decided approval as it is now (by key), or null. */
    find: (approvalId: string) => Execution.findById(approvalId).lean<ExecutionDoc>().exec(),

    /** Executions whose time has come, from the working set; finished ones leave it. */
    async findDue(now: Date, limit: number, skip: (id: string) => boolean = () => false): Promise<DueExecution[]> {
      const entries = await ExecutionEntry.find({ dueAt: trusted({ $lte: now }) }).lean();
      const due: DueExecution[] = [];
      for (const entry of entries.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())) {
        if (due.length >= limit) break;
        if (skip(entry._id)) continue;
        const execution = await current(entry._id);
        if (!execution) {
          // Written just before its decision record (not landed yet, or its decider died): look again later.
          if (now.getTime() - entry.createdAt.getTime() > ORPHAN_RECHECK_MS) {
            await reschedule(entry._id, new Date(now.getTime() + ORPHAN_RECHECK_MS));
          }
          continue;
        }
        if (execution.state !== 'pending') {
          await removeEntry(entry._id, entry.dueAt);
          continue;
        }
        const nextAttemptAt = execution.nextAttemptAt ?? now;
        if (nextAttemptAt > now) {
          await reschedule(entry._id, nextAttemptAt);
          continue;
        }
        due.push({ _id: entry._id, attempts: execution.attempts, nextAttemptAt });
      }
      return due;
    },

    /** One execution as a due item, when it is due now (this process's own first attempt). */
    async dueNow(approvalId: string, now: Date): Promise<DueExecution | null> {
      const execution = await current(approvalId);
      if (!execution || execution.state !== 'pending' || (execution.nextAttemptAt ?? now) > now) return null;
      return { _id: approvalId, attempts: execution.attempts, nextAttemptAt: execution.nextAttemptAt ?? now };
    },

    /**
     * Claims a due execution for one attempt: the claim record of this due slot is inserted (one winner
     * on MongoDB and FerretDB alike, whose filtered updates are not atomic), then the winner alone sets
     * its lease (also the next due time, so an abandoned attempt is taken up again after it) and
     * attempts + 1, and reads it back.
     */
    async claim(
      due: DueExecution,
      token: string,
      now: Date,
      leaseUntil: Date,
    ): Promise<{ decision: ExecutionDecision & { execution: ExecutionRecord }; claimId: string } | null> {
      const slot = `${due._id}:${due.attempts}:${due.nextAttemptAt.getTime()}`;
      const claimId = await insertClaim(slot, token, now, leaseUntil.getTime() - now.getTime());
      if (!claimId) return null;
      const attempts = due.attempts + 1;
      const result = await Execution.updateOne(
        { _id: due._id, state: 'pending', attempts: due.attempts, nextAttemptAt: trusted({ $lte: now }) },
        { $set: { leaseOwner: token, leaseUntil, nextAttemptAt: leaseUntil, attempts } },
      );
      if (result.matchedCount === 0) {
        await ExecutionClaim.deleteOne({ _id: claimId });
        return null;
      }
      const [doc, execution] = await Promise.all([
        Decision.findById(due._id).lean<ExecutionDecision>(),
        Execution.findById(due._id).lean<ExecutionDoc>(),
      ]);
      if (!doc || !execution || execution.leaseOwner !== token || execution.attempts !== attempts) return null;
      await reschedule(due._id, leaseUntil);
      return { decision: { ...doc, execution }, claimId };
    },

    findSubject: sources.findSubject,

    /**
     * Records an attempt's outcome, fenced on (lease token, attempt number): a worker whose lease ran out
     * and was claimed again writes nothing. The outbox entry follows (due at the next attempt, or
     * removed), and the attempt's claim record goes. False when fenced off.
     */
    async record(
      id: string,
      token: string,
      attempt: number,
      fields: Partial<ExecutionRecord> & { state: ExecutionRecord['state'] },
      claimId: string,
    ): Promise<boolean> {
      const written = await Execution.updateOne(
        { _id: id, leaseOwner: token, attempts: attempt },
        { $set: { ...fields, leaseOwner: null, leaseUntil: null } },
      );
      if (written.matchedCount === 0) return false;
      await Promise.all([
        fields.state === 'pending' && fields.nextAttemptAt ? reschedule(id, fields.nextAttemptAt) : removeEntry(id),
        ExecutionClaim.deleteOne({ _id: claimId }),
      ]);
      return true;
    },

    /** The reply's outcome, as Zendesk's outbox reports it; false when there was no finished execution to write it on. */
    async recordReply(id: string, reply: ExecutionRecord['reply'], at: Date): Promise<boolean> {
      const written = await Execution.updateOne({ _id: id, state: 'done' }, { $set: { reply, replyAt: at } });
      return written.matchedCount > 0;
    },

    /**
     * Settles the `when: late` race for `by`: true when its insert landed first or it won before.
     * A unique insert because FerretDB v1 has no atomic filtered findOneAndUpdate.
     */
    async learned(id: string, by: LearnedDoc['by'], now: Date): Promise<LearnedDoc['by']> {
      if (await insertUnique(Learned, { _id: id, by, at: now })) return by;
      const winner = await Learned.findById(id).lean<LearnedDoc>();
      return winner?.by ?? by;
    },

    /**
     * Makes a failed execution pending now, with a fresh schedule and the same Idempotency-Key;
     * anything else is left alone and the caller told what it is. `accountId` null: the operator.
     */
    async retry(accountId: string | null, approvalId: string, now: Date): Promise<RetryResult> {
      const execution = await current(approvalId);
      if (!execution || (accountId !== null && execution.accountId !== accountId)) {
        const subject = await sources.findSubject(approvalId);
        const isVisible = subject !== null && (accountId === null || subject.accountId === accountId);
        return isVisible ? { kind: 'not-failed', state: 'none' } : { kind: 'not-found' };
      }
      if (execution.state !== 'failed') return { kind: 'not-failed', state: execution.state };
      // Entry, record, entry again (as a callback redelivery): a poll that saw it failed removes the
      // entry only if it was not written again since, and a crash in between leaves an entry.
      await prepare(approvalId, now);
      await Execution.updateOne(
        { _id: approvalId, state: 'failed' },
        {
          $set: {
            state: 'pending',
            attempts: 0,
            nextAttemptAt: now,
            lastError: null,
            finishedAt: null,
            leaseOwner: null,
            leaseUntil: null,
          },
        },
      );
      await prepare(approvalId, new Date(now.getTime() + 1));
      return { kind: 'queued', accountId: execution.accountId };
    },

    /** Removes claim records older than `before` that a crashed attempt left (a scan of a small set). */
    async sweepClaims(before: Date) {
      return (await ExecutionClaim.deleteMany({ createdAt: trusted({ $lt: before }) })).deletedCount;
    },
  };
}
export type ExecutionsRepository = ReturnType<typeof executionsRepository>;

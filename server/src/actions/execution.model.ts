import { Schema, type Connection, type Model } from 'mongoose';
import type {
  ActionConfig,
  ActionWhen,
  CustomerReplyState,
  ExecuteMethod,
  ExecutionState,
  OutcomePlan,
} from '@cheqpoint/shared';
import { hostOf } from './render.js';

/**
 * What Cheqpoint still does about a decided approval whose action is configured (actions.json): settle
 * the `when: late` race, make the request, then have the reply added. Written first on the decision
 * record, in the same insert as the decision (what is to be done, never changed there), and kept from
 * then on in its own document (`executions`, `_id` the approval id), which the execution outbox alone
 * updates: on FerretDB v1 an update rewrites the whole document it matched, so updates of the callback's
 * delivery on the decision record would undo concurrent updates of the execution there. `state`:
 * `none` (nothing to do), `pending` (due at nextAttemptAt, or in flight under a lease), `done`, `failed`
 * (retry through the API), `skipped` (a requester call learned the decision first).
 */
export type ExecutionRecord = {
  state: 'none' | 'pending' | 'done' | 'failed' | 'skipped';
  when: ActionWhen;
  /** The configured request (null: the action only replies, or a rejection). */
  method: ExecuteMethod | null;
  host: string | null;
  name: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  finishedAt: Date | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /**
   * The reply: `none` (none due), `waiting` (for the execution or the race), `pending` (queued in the
   * Zendesk outbox), `added`, `failed`, `skipped` (no Zendesk connection or ticket).
   */
  reply: 'none' | 'waiting' | 'pending' | 'added' | 'failed' | 'skipped';
  replyAt: Date | null;
};

/** Mongoose field definitions of an ExecutionRecord, for the decision record that embeds it. */
export const EXECUTION_FIELDS = {
  state: { type: String },
  when: { type: String },
  method: { type: String, default: null },
  host: { type: String, default: null },
  name: { type: String, default: null },
  attempts: { type: Number, default: 0 },
  nextAttemptAt: { type: Date, default: null },
  lastStatus: { type: Number, default: null },
  lastError: { type: String, default: null },
  lastAttemptAt: { type: Date, default: null },
  finishedAt: { type: Date, default: null },
  leaseOwner: { type: String, default: null },
  leaseUntil: { type: Date, default: null },
  reply: { type: String, default: 'none' },
  replyAt: { type: Date, default: null },
} as const;

/** The action configuration recorded on an approval at intake (JSON text), or null. */
export const parseActionJson = (json: string | null | undefined): ActionConfig | null =>
  json ? (JSON.parse(json) as ActionConfig) : null;

/**
 * A new decision's execution: pending when there is something to do for its outcome (a request on
 * approval, a reply template for it), due after `graceMs` with `when: late` (a held call about to
 * answer with the decision wins), at once with `always`. Null when the approval's action has no
 * configuration.
 */
export function newExecution(
  config: ActionConfig | null,
  outcome: 'approved' | 'rejected',
  decidedAt: Date,
  graceMs: number,
): ExecutionRecord | null {
  if (!config) return null;
  const execute = outcome === 'approved' ? (config.execute ?? null) : null;
  const replyTemplate = config.reply?.[outcome];
  const hasWork = execute !== null || replyTemplate !== undefined;
  return {
    state: hasWork ? 'pending' : 'none',
    when: config.when,
    method: execute?.method ?? null,
    host: execute ? hostOf(execute) : null,
    name: execute ? (execute.name ?? hostOf(execute)) : null,
    attempts: 0,
    nextAttemptAt: hasWork ? new Date(decidedAt.getTime() + (config.when === 'late' ? graceMs : 0)) : null,
    lastStatus: null,
    lastError: null,
    lastAttemptAt: null,
    finishedAt: null,
    leaseOwner: null,
    leaseUntil: null,
    reply: replyTemplate !== undefined ? 'waiting' : 'none',
    replyAt: null,
  };
}

/** What the sidebar says before deciding (names and hosts only). */
export function outcomePlanOf(config: ActionConfig | null): OutcomePlan | null {
  if (!config) return null;
  const execute = config.execute;
  return {
    when: config.when,
    execute: execute ? { method: execute.method, host: hostOf(execute), name: execute.name ?? hostOf(execute) } : null,
    reply: { approved: config.reply?.approved !== undefined, rejected: config.reply?.rejected !== undefined },
  };
}

const EXECUTION_STATUS_OF = {
  pending: 'pending',
  done: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
} as const satisfies Record<Exclude<ExecutionRecord['state'], 'none'>, ExecutionState['status']>;

/** The execution as the API shows it; null when no request is part of it. */
export function executionView(record: ExecutionRecord | null | undefined): ExecutionState | null {
  if (!record || record.state === 'none' || !record.method || !record.host) return null;
  return {
    status: EXECUTION_STATUS_OF[record.state],
    method: record.method,
    host: record.host,
    name: record.name ?? record.host,
    attempts: record.attempts,
    lastStatus: record.lastStatus,
    lastError: record.lastError,
    at: (record.finishedAt ?? record.lastAttemptAt)?.toISOString() ?? null,
    nextAttemptAt: record.state === 'pending' ? (record.nextAttemptAt?.toISOString() ?? null) : null,
  };
}

const REPLY_STATUS_OF = {
  waiting: 'pending',
  pending: 'pending',
  added: 'added',
  failed: 'failed',
  skipped: 'skipped',
} as const satisfies Record<Exclude<ExecutionRecord['reply'], 'none'>, CustomerReplyState['status']>;

/** The reply as the API shows it; null when none is due (an execution skipped takes its reply with it). */
export function customerReplyView(record: ExecutionRecord | null | undefined): CustomerReplyState | null {
  if (!record || record.reply === 'none' || record.state === 'skipped') return null;
  return { status: REPLY_STATUS_OF[record.reply], at: record.replyAt?.toISOString() ?? null };
}

/** An execution's own document, once its first attempt (or the decider) has written it. */
export type ExecutionDoc = ExecutionRecord & { _id: string; accountId: string };

/**
 * The outbox's working set: one entry per execution not final yet, due at `dueAt` (a lower bound of
 * the record's own nextAttemptAt), written before its decision record and removed when it ends, so
 * the poll reads only work still to do however many decisions are stored.
 */
export type ExecutionEntryDoc = { _id: string; dueAt: Date; createdAt: Date };

/** Arbiter of one attempt: `<approvalId>:<attempts>:<nextAttemptAt ms>#<generation>`, inserted once. */
export type ExecutionClaimDoc = { _id: string; owner: string; createdAt: Date };

/**
 * Arbiter of the `when: late` race, `_id` the approval id: whoever inserts first, a requester call
 * answering with the decision (`requester`) or the execution starting (`execution`), decides whether
 * Cheqpoint acts. A unique insert because a filtered findOneAndUpdate is not atomic on FerretDB v1.
 */
export type LearnedDoc = { _id: string; by: 'requester' | 'execution'; at: Date };

const entrySchema = new Schema<ExecutionEntryDoc>(
  {
    _id: { type: String, required: true },
    dueAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'execution_outbox', strict: 'throw' },
);
const claimSchema = new Schema<ExecutionClaimDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'execution_claims', strict: 'throw' },
);
const learnedSchema = new Schema<LearnedDoc>(
  {
    _id: { type: String, required: true },
    by: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'requester_learned', strict: 'throw' },
);

const executionSchema = new Schema<ExecutionDoc>(
  { _id: { type: String, required: true }, accountId: { type: String, required: true }, ...EXECUTION_FIELDS },
  { versionKey: false, collection: 'executions', strict: 'throw' },
);

export type ExecutionModels = {
  Execution: Model<ExecutionDoc>;
  ExecutionEntry: Model<ExecutionEntryDoc>;
  ExecutionClaim: Model<ExecutionClaimDoc>;
  Learned: Model<LearnedDoc>;
};

export function executionModels(conn: Connection): ExecutionModels {
  return {
    Execution: conn.models['Execution'] ?? conn.model<ExecutionDoc>('Execution', executionSchema),
    ExecutionEntry: conn.models['ExecutionEntry'] ?? conn.model<ExecutionEntryDoc>('ExecutionEntry', entrySchema),
    ExecutionClaim: conn.models['ExecutionClaim'] ?? conn.model<ExecutionClaimDoc>('ExecutionClaim', claimSchema),
    Learned: conn.models['RequesterLearned'] ?? conn.model<LearnedDoc>('RequesterLearned', learnedSchema),
  } as ExecutionModels;
}

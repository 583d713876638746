import { Schema, type Connection, type Model } from 'mongoose';
import type { ApprovalPolicy, ApprovalStatus, DecidedBy } from '@cheqpoint/shared';
import { EXECUTION_FIELDS, type ExecutionRecord } from '../actions/execution.model.js';
import { DELIVERY_FIELDS, type DecisionRecord } from '../callbacks/delivery.model.js';

/** Stored approval. Free-form payloads are JSON strings so any object round-trips exactly. */
export type ApprovalDoc = {
  _id: string;
  accountId: string;
  action: string;
  summary: string;
  detailsJson: string;
  detailsSha256: string;
  justification: string | null;
  ticketId: string | null;
  callbackUrl: string | null;
  riskLevel: string | null;
  priority: string | null;
  agentName: string | null;
  metadataJson: string | null;
  requestSha256: string;
  status: ApprovalStatus;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
  decisionNote: string | null;
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy | null;
  /** The policy's verdict at intake; null when the account has no policy. */
  policy: ApprovalPolicy | null;
  /**
   * The account's configuration of this action at intake (actions.json, as JSON text): what Cheqpoint
   * does once it is decided. Absent or null: nothing (approvals stored before, or no configuration).
   */
  actionJson?: string | null;
};

const approvalSchema = new Schema<ApprovalDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    action: { type: String, required: true },
    summary: { type: String, required: true },
    detailsJson: { type: String, required: true },
    detailsSha256: { type: String, required: true },
    justification: { type: String, default: null },
    ticketId: { type: String, default: null },
    callbackUrl: { type: String, default: null },
    riskLevel: { type: String, default: null },
    priority: { type: String, default: null },
    agentName: { type: String, default: null },
    metadataJson: { type: String, default: null },
    requestSha256: { type: String, required: true },
    status: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    decidedAt: { type: Date, default: null },
    decisionNote: { type: String, default: null },
    modifiedDetailsJson: { type: String, default: null },
    decidedBy: { type: Schema.Types.Mixed, default: null },
    policy: { type: Schema.Types.Mixed, default: null },
    actionJson: { type: String, default: null },
  },
  { versionKey: false, collection: 'approvals', strict: 'throw' },
);
// No secondary indexes: every read is by `_id` (FerretDB v1 would maintain them on each write and use
// none; see README "How storage stays fast").

/**
 * The decision record. Its `_id` is the approval id, so the first insert decides any race. It carries
 * the callback outbox (`delivery`, owned by callbacks/), written with the decision in one insert.
 */
export type DecisionDoc = DecisionRecord & {
  decisionRequestId: string | null;
  /** What Cheqpoint does about the action (owned by actions/); absent or null: nothing. */
  execution?: ExecutionRecord | null;
};

const decisionSchema = new Schema<DecisionDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    outcome: { type: String, required: true },
    note: { type: String, default: null },
    modifiedDetailsJson: { type: String, default: null },
    decidedBy: { type: Schema.Types.Mixed, required: true },
    decisionRequestId: { type: String, default: null },
    decidedAt: { type: Date, required: true },
    delivery: DELIVERY_FIELDS,
    execution: EXECUTION_FIELDS,
  },
  { versionKey: false, collection: 'decisions', strict: 'throw' },
);

/** Arbiter of inbound idempotency: one record per (account, key); its `_id` is unique. */
export type IdempotencyDoc = {
  _id: string;
  accountId: string;
  kind: 'key' | 'auto';
  requestSha256: string;
  approvalId: string;
  createdAt: Date;
  expiresAt: Date;
};

const idempotencySchema = new Schema<IdempotencyDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    kind: { type: String, required: true },
    requestSha256: { type: String, required: true },
    approvalId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'idempotency_records', strict: 'throw' },
);

/**
 * A ticket's approvals, one insert-only slot each: `_id` is `<accountId>:<ticketId>:<n>` with n = 1, 2, 3 …
 * claimed by unique insert, so the sidebar reads a ticket's approvals by key instead of a query.
 */
export type TicketSlotDoc = { _id: string; approvalId: string; createdAt: Date };

const ticketSlotSchema = new Schema<TicketSlotDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'ticket_slots', strict: 'throw' },
);

/**
 * The pending set: one small entry per approval that may still be pending, written before the approval
 * and removed once it is decided. Each process keeps it in memory (loaded at start, kept current by the
 * change feed), so the queue and the expiry sweep cost what is pending, never what is stored.
 */
export type PendingEntryDoc = {
  _id: string;
  accountId: string;
  ticketId: string | null;
  action: string;
  createdAt: Date;
  expiresAt: Date;
  /** When its rule's escalation applies (null: none, or already applied as far as this process knows). */
  escalatesAt?: Date | null;
};

const pendingSchema = new Schema<PendingEntryDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    ticketId: { type: String, default: null },
    action: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    escalatesAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'pending_approvals', strict: 'throw' },
);

export type ApprovalModels = {
  Approval: Model<ApprovalDoc>;
  Decision: Model<DecisionDoc>;
  Idempotency: Model<IdempotencyDoc>;
  TicketSlot: Model<TicketSlotDoc>;
  Pending: Model<PendingEntryDoc>;
};

export function approvalModels(conn: Connection): ApprovalModels {
  return {
    Approval: conn.models['Approval'] ?? conn.model<ApprovalDoc>('Approval', approvalSchema),
    Decision: conn.models['Decision'] ?? conn.model<DecisionDoc>('Decision', decisionSchema),
    Idempotency: conn.models['Idempotency'] ?? conn.model<IdempotencyDoc>('Idempotency', idempotencySchema),
    TicketSlot: conn.models['TicketSlot'] ?? conn.model<TicketSlotDoc>('TicketSlot', ticketSlotSchema),
    Pending: conn.models['Pending'] ?? conn.model<PendingEntryDoc>('Pending', pendingSchema),
  } as ApprovalModels;
}

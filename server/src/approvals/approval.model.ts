import { Schema, type Connection, type Model } from 'mongoose';
import type { ApprovalPolicy, ApprovalStatus, DecidedBy } from '@cheqpoint/shared';

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
  },
  { versionKey: false, collection: 'approvals', strict: 'throw' },
);
// "Approvals of a ticket in an account by status and age" (sidebar), and the account-wide queue.
approvalSchema.index({ accountId: 1, ticketId: 1, status: 1, createdAt: -1 }, { name: 'account_ticket_status_age' });
approvalSchema.index({ accountId: 1, status: 1, createdAt: 1 }, { name: 'account_status_age' });
// The expiry sweeper's scan, across accounts.
approvalSchema.index({ status: 1, expiresAt: 1 }, { name: 'status_expires' });

/**
 * Callback delivery states: `none` (no callbackUrl), `pending` (due at nextAttemptAt, or in flight under a
 * lease), `delivered` (2xx), `dead` (retries used up), `gone` (410), `blocked` (address refused: SSRF).
 */
export type DeliveryState = 'none' | 'pending' | 'delivered' | 'dead' | 'gone' | 'blocked';

/** The decision record. Its `_id` is the approval id, so the first insert decides any race. */
export type DecisionDoc = {
  _id: string;
  accountId: string;
  outcome: Exclude<ApprovalStatus, 'pending'>;
  note: string | null;
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy;
  decisionRequestId: string | null;
  decidedAt: Date;
  /** Callback outbox, written with the decision in one insert. */
  delivery: {
    state: DeliveryState;
    webhookId: string;
    callbackUrl: string | null;
    attempts: number;
    nextAttemptAt: Date | null;
    lastError: string | null;
    /** Lease token of the dispatcher attempting it now (fencing); absent or null when free. */
    leaseOwner?: string | null;
    leaseUntil?: Date | null;
    /** HTTP status of the last attempt, null when it got no response. */
    lastStatus?: number | null;
    lastAttemptAt?: Date | null;
    deliveredAt?: Date | null;
  };
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
    delivery: {
      state: { type: String, required: true },
      webhookId: { type: String, required: true },
      callbackUrl: { type: String, default: null },
      attempts: { type: Number, default: 0 },
      nextAttemptAt: { type: Date, default: null },
      lastError: { type: String, default: null },
      leaseOwner: { type: String, default: null },
      leaseUntil: { type: Date, default: null },
      lastStatus: { type: Number, default: null },
      lastAttemptAt: { type: Date, default: null },
      deliveredAt: { type: Date, default: null },
    },
  },
  { versionKey: false, collection: 'decisions', strict: 'throw' },
);
decisionSchema.index({ 'delivery.state': 1, 'delivery.nextAttemptAt': 1 }, { name: 'delivery_due' });

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
idempotencySchema.index({ expiresAt: 1 }, { name: 'expires' });

/**
 * Arbiter of one callback attempt: whoever inserts the claim of a due slot (the delivery's attempt
 * count and due time as the dispatcher saw them) sends it. Filtered updates are not atomic on FerretDB
 * v1, so two dispatchers may both "claim" by update; only one of them inserts this record.
 */
export type DeliveryClaimDoc = {
  /** `<approvalId>:<attempts before the claim>:<nextAttemptAt in ms>`. */
  _id: string;
  owner: string;
  createdAt: Date;
};

const deliveryClaimSchema = new Schema<DeliveryClaimDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'delivery_claims', strict: 'throw' },
);
deliveryClaimSchema.index({ createdAt: 1 }, { name: 'created' });

export type ApprovalModels = {
  Approval: Model<ApprovalDoc>;
  Decision: Model<DecisionDoc>;
  Idempotency: Model<IdempotencyDoc>;
  DeliveryClaim: Model<DeliveryClaimDoc>;
};

export function approvalModels(conn: Connection): ApprovalModels {
  return {
    Approval: conn.models['Approval'] ?? conn.model<ApprovalDoc>('Approval', approvalSchema),
    Decision: conn.models['Decision'] ?? conn.model<DecisionDoc>('Decision', decisionSchema),
    Idempotency: conn.models['Idempotency'] ?? conn.model<IdempotencyDoc>('Idempotency', idempotencySchema),
    DeliveryClaim: conn.models['DeliveryClaim'] ?? conn.model<DeliveryClaimDoc>('DeliveryClaim', deliveryClaimSchema),
  } as ApprovalModels;
}

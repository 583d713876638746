import { Schema, type Connection, type Model } from 'mongoose';
import type { ApprovalStatus, CallbackStatus, DecidedBy } from '@cheqpoint/shared';

/**
 * Callback delivery states: `none` (no callbackUrl), else the callback status the API shows (see
 * CALLBACK_STATUSES in shared/): `pending` (due at nextAttemptAt, or in flight under a lease),
 * `delivered` (2xx), `dead` (retries used up), `gone` (410), `blocked` (address refused: SSRF).
 */
export type DeliveryState = 'none' | CallbackStatus;

/** States a delivery ends in; a redelivery starts again from any of them. */
export const FINAL_DELIVERY_STATES = ['delivered', 'dead', 'gone', 'blocked'] as const satisfies readonly Exclude<
  DeliveryState,
  'none' | 'pending'
>[];

/** The callback outbox of one decision, written with the decision record in the same insert. */
export type Delivery = {
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

/** Mongoose field definitions of a Delivery, for the schema of the record that embeds it. */
export const DELIVERY_FIELDS = {
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
} as const;

/** A new decision's delivery: due at once when there is a callbackUrl. */
export function newDelivery(approvalId: string, callbackUrl: string | null, decidedAt: Date): Delivery {
  return {
    state: callbackUrl ? 'pending' : 'none',
    webhookId: `msg_${approvalId}`,
    callbackUrl,
    attempts: 0,
    nextAttemptAt: callbackUrl ? decidedAt : null,
    lastError: null,
  };
}

/** What the dispatcher needs of a decision record (its `_id` is the approval id). */
export type DecisionRecord = {
  _id: string;
  accountId: string;
  outcome: Exclude<ApprovalStatus, 'pending'>;
  note: string | null;
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy;
  decidedAt: Date;
  delivery: Delivery;
};

/** What the callback body tells of the approval itself. */
export type CallbackSubject = {
  _id: string;
  accountId: string;
  action: string;
  detailsJson: string;
  ticketId: string | null;
};

/**
 * The outbox's working set: one entry per decision whose callback is not final yet, due at `dueAt` (a
 * lower bound of the delivery's own nextAttemptAt). The dispatcher's poll reads only this collection, so
 * it costs nothing when nothing is due however many decisions are stored. An entry is written before
 * its decision record (so no decision with a callback lacks one) and removed when the delivery ends.
 */
export type OutboxEntryDoc = { _id: string; dueAt: Date; createdAt: Date };

const outboxSchema = new Schema<OutboxEntryDoc>(
  {
    _id: { type: String, required: true },
    dueAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'callback_outbox', strict: 'throw' },
);

/**
 * Arbiter of one callback attempt: whoever inserts the claim of a due slot (the delivery's attempt
 * count and due time as the dispatcher saw them) sends it. Filtered updates are not atomic on FerretDB
 * v1, so two dispatchers may both "claim" by update; only one of them inserts this record.
 */
export type DeliveryClaimDoc = {
  /** `<approvalId>:<attempts before the claim>:<nextAttemptAt in ms>#<generation>`. */
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

export type CallbackModels = { Outbox: Model<OutboxEntryDoc>; DeliveryClaim: Model<DeliveryClaimDoc> };

export function callbackModels(conn: Connection): CallbackModels {
  return {
    Outbox: conn.models['Outbox'] ?? conn.model<OutboxEntryDoc>('Outbox', outboxSchema),
    DeliveryClaim: conn.models['DeliveryClaim'] ?? conn.model<DeliveryClaimDoc>('DeliveryClaim', deliveryClaimSchema),
  } as CallbackModels;
}

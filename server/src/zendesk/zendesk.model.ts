import { Schema, type Connection, type Model } from 'mongoose';

/**
 * How the gateway signs in to one account's Zendesk: an API token (Basic `email/token:TOKEN`) or an
 * OAuth access token (Bearer). `_id` is the account id. The secret never leaves this document except
 * as the Authorization header of a request to `baseUrl`.
 */
export type ZendeskConnectionDoc = {
  _id: string;
  subdomain: string;
  /** `https://<subdomain>.zendesk.com`, or a loopback URL for local use and tests. */
  baseUrl: string;
  /** The Cheqpoint app's id in that Zendesk (notify-app targets it). */
  appId: number;
  authKind: 'api-token' | 'oauth';
  /** The agent the API token belongs to; null for OAuth. */
  email: string | null;
  secret: string;
  createdAt: Date;
  updatedAt: Date;
};

/** What the gateway tells Zendesk, one entry per (approval, effect). */
export const ZENDESK_EFFECTS = [
  'tag',
  'notify-created',
  'notify-decided',
  'untag',
  'note',
  // an escalation's (see approvals/escalation.ts): the ticket's priority, a note naming the group, a push
  'priority',
  'escalation-note',
  'notify-escalated',
  // a late decision's public reply to the customer (actions/: README "Late decisions")
  'reply',
] as const;
export type ZendeskEffect = (typeof ZENDESK_EFFECTS)[number];

/**
 * The Zendesk outbox: an effect still to send, keyed `<approvalId>:<effect>` (inserted by unique `_id`,
 * so an effect is queued once however many processes see the approval), due at `dueAt`. Removed once
 * sent or given up, so the poll reads only work still to do. Flat fields: FerretDB v1 has no dotted keys.
 */
export type ZendeskOutboxDoc = {
  _id: string;
  approvalId: string;
  accountId: string;
  ticketId: string;
  effect: ZendeskEffect;
  /** The note's text (`note`, `escalation-note`, `reply`), the priority to set (`priority`), or null. */
  text: string | null;
  /** The reply's author (a verified deciding agent's Zendesk user id); absent or null: the connection's user. */
  authorId?: string | null;
  attempts: number;
  dueAt: Date;
  lastError: string | null;
  createdAt: Date;
};

/**
 * The last failed attempt of an account's Zendesk outbox (`zendesk show` tells it), keyed by account id
 * and overwritten by the next failure: one key write per failure, nothing on success. `error` is what
 * the dispatcher logs (`HTTP 401`, `timeout`, …), never a credential.
 */
export type ZendeskFailureDoc = {
  _id: string;
  at: Date;
  approvalId: string;
  ticketId: string;
  effect: ZendeskEffect;
  attempt: number;
  /** `retry`: it will be tried again; `failed`: given up. */
  state: 'retry' | 'failed';
  httpStatus: number | null;
  error: string;
};

/** Arbiter of one attempt of one effect: whoever inserts `<entryId>:<attempts>#<generation>` sends it. */
export type ZendeskClaimDoc = { _id: string; owner: string; createdAt: Date };

const connectionSchema = new Schema<ZendeskConnectionDoc>(
  {
    _id: { type: String, required: true },
    subdomain: { type: String, required: true },
    baseUrl: { type: String, required: true },
    appId: { type: Number, required: true },
    authKind: { type: String, required: true },
    email: { type: String, default: null },
    secret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'zendesk_connections', strict: 'throw' },
);

const outboxSchema = new Schema<ZendeskOutboxDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    accountId: { type: String, required: true },
    ticketId: { type: String, required: true },
    effect: { type: String, required: true },
    text: { type: String, default: null },
    authorId: { type: String, default: null },
    attempts: { type: Number, default: 0 },
    dueAt: { type: Date, required: true },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'zendesk_outbox', strict: 'throw' },
);

const claimSchema = new Schema<ZendeskClaimDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'zendesk_claims', strict: 'throw' },
);

const failureSchema = new Schema<ZendeskFailureDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    approvalId: { type: String, required: true },
    ticketId: { type: String, required: true },
    effect: { type: String, required: true },
    attempt: { type: Number, required: true },
    state: { type: String, required: true },
    httpStatus: { type: Number, default: null },
    error: { type: String, required: true },
  },
  { versionKey: false, collection: 'zendesk_failures', strict: 'throw' },
);

export type ZendeskModels = {
  ZendeskConnection: Model<ZendeskConnectionDoc>;
  ZendeskOutbox: Model<ZendeskOutboxDoc>;
  ZendeskClaim: Model<ZendeskClaimDoc>;
  ZendeskFailure: Model<ZendeskFailureDoc>;
};

export function zendeskModels(conn: Connection): ZendeskModels {
  return {
    ZendeskConnection:
      conn.models['ZendeskConnection'] ?? conn.model<ZendeskConnectionDoc>('ZendeskConnection', connectionSchema),
    ZendeskOutbox: conn.models['ZendeskOutbox'] ?? conn.model<ZendeskOutboxDoc>('ZendeskOutbox', outboxSchema),
    ZendeskClaim: conn.models['ZendeskClaim'] ?? conn.model<ZendeskClaimDoc>('ZendeskClaim', claimSchema),
    ZendeskFailure: conn.models['ZendeskFailure'] ?? conn.model<ZendeskFailureDoc>('ZendeskFailure', failureSchema),
  } as ZendeskModels;
}

import { Schema, type Connection, type Model } from 'mongoose';

/** What happened to an approval. */
export const AUDIT_EVENT_TYPES = [
  'requested',
  'policy_evaluated',
  'voted',
  'escalated',
  'decided',
  'expired',
  'callback_attempted',
  'callback_delivered',
  'callback_dead',
  'redelivered',
  // Cheqpoint carried out the decided action (actions/), or gave up on it
  'executed',
  'execution-failed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who caused it. */
export const AUDIT_ACTOR_TYPES = ['agent', 'flow', 'policy', 'system', 'admin'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
/** `verified` (agents): whether `id` came from a Zendesk-signed identity; absent on events before it existed. */
export type AuditActor = { type: AuditActorType; id?: string; name?: string; verified?: boolean };

/**
 * One stored event. `_id` is `<approvalId>:<seq>`, so two appends of the same position cannot both
 * land (the arbiter on FerretDB, where filtered updates are not atomic).
 */
export type AuditEventDoc = {
  _id: string;
  approvalId: string;
  accountId: string;
  /** 1, 2, 3 … within the approval. */
  seq: number;
  type: AuditEventType;
  actor: AuditActor;
  at: Date;
  /** Canonical JSON of the event's data (sorted keys, no spaces). */
  data: string;
  /** `hash` of the previous event of the approval; null for the first. */
  prevHash: string | null;
  /** SHA-256 (hex) of the event's canonical form, prevHash included. */
  hash: string;
};

const auditEventSchema = new Schema<AuditEventDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    accountId: { type: String, required: true },
    seq: { type: Number, required: true },
    type: { type: String, required: true },
    actor: {
      _id: false,
      type: { type: String, required: true },
      id: { type: String },
      name: { type: String },
      verified: { type: Boolean },
    },
    at: { type: Date, required: true },
    data: { type: String, required: true },
    prevHash: { type: String, default: null },
    hash: { type: String, required: true },
  },
  { versionKey: false, collection: 'audit_events', strict: 'throw' },
);
auditEventSchema.index({ approvalId: 1, seq: 1 }, { unique: true, name: 'approval_seq_unique' });
auditEventSchema.index({ at: 1 }, { name: 'at' });
auditEventSchema.index({ accountId: 1, at: 1 }, { name: 'account_at' });

export type AuditModels = { AuditEvent: Model<AuditEventDoc> };

export function auditModels(conn: Connection): AuditModels {
  return {
    AuditEvent: conn.models['AuditEvent'] ?? conn.model<AuditEventDoc>('AuditEvent', auditEventSchema),
  } as AuditModels;
}

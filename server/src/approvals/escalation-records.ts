import { Schema, type Connection, type Model } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';

/**
 * That an approval's escalation applied: one per approval, `_id` the approval's. Its unique insert is
 * the arbiter between gateway processes whose sweeps see the escalation due at the same moment (FerretDB
 * v1 applies a filtered update as read, modify, write back, so a flag on the approval could be set twice).
 */
export type EscalationDoc = { _id: string; accountId: string; at: Date };

const escalationSchema = new Schema<EscalationDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'approval_escalations', strict: 'throw' },
);
// No secondary index: written by `_id` only (and read by nobody on a request path).

export function escalationRecords(conn: Connection) {
  const Escalation = (conn.models['Escalation'] ??
    conn.model<EscalationDoc>('Escalation', escalationSchema)) as Model<EscalationDoc>;
  return {
    /** True for the one caller that records the escalation; false when it was recorded already. */
    claim: (doc: EscalationDoc) => insertUnique(Escalation, doc),
  };
}
export type EscalationRecords = ReturnType<typeof escalationRecords>;

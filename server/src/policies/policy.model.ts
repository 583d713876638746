import { Schema, type Connection, type Model } from 'mongoose';

/** An account's policy: one document per account, the validated policy kept as a JSON string. */
export type PolicyDoc = {
  /** The account id. */
  _id: string;
  policyJson: string;
  policySha256: string;
  /** 1 for the first policy set, then +1 on every change. */
  version: number;
  updatedAt: Date;
};

const policySchema = new Schema<PolicyDoc>(
  {
    _id: { type: String, required: true },
    policyJson: { type: String, required: true },
    policySha256: { type: String, required: true },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'policies', strict: 'throw' },
);

export type PolicyModels = { Policy: Model<PolicyDoc> };

export function policyModels(conn: Connection): PolicyModels {
  return {
    Policy: conn.models['Policy'] ?? conn.model<PolicyDoc>('Policy', policySchema),
  } as PolicyModels;
}

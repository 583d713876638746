import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One entry of the change feed. `_id` is the decimal position (1, 2, 3 …), claimed by unique insert, so
 * entries are read in order by key and never scanned. `token` tells the writer which of its entries
 * landed when a batch insert fails part-way.
 */
export type ChangeDoc = {
  _id: string;
  seq: number;
  at: Date;
  token: string;
  change: Record<string, unknown>;
};

const changeSchema = new Schema<ChangeDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    token: { type: String, required: true },
    change: { type: Schema.Types.Mixed, required: true },
  },
  { versionKey: false, collection: 'changes', strict: 'throw' },
);

export function changeModel(conn: Connection): Model<ChangeDoc> {
  return (conn.models['Change'] as Model<ChangeDoc> | undefined) ?? conn.model<ChangeDoc>('Change', changeSchema);
}

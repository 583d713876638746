import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from './errors.js';

/** Small documents about the database itself, by `_id` (the storage version, sweep positions). */
export type MetaDoc = { _id: string; value: number; updatedAt: Date };

const metaSchema = new Schema<MetaDoc>(
  {
    _id: { type: String, required: true },
    value: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'cheqpoint_meta', strict: 'throw' },
);

function metaModel(conn: Connection): Model<MetaDoc> {
  return (conn.models['Meta'] as Model<MetaDoc> | undefined) ?? conn.model<MetaDoc>('Meta', metaSchema);
}

/** The number stored under `key`, or null. */
export async function readMeta(conn: Connection, key: string): Promise<number | null> {
  return (await metaModel(conn).findById(key).lean<MetaDoc>())?.value ?? null;
}

/** Stores `value` under `key` (last write wins). */
export async function writeMeta(conn: Connection, key: string, value: number): Promise<void> {
  const update = { $set: { value, updatedAt: new Date() } };
  try {
    await metaModel(conn).updateOne({ _id: key }, update, { upsert: true });
  } catch (err) {
    // Two processes upserting at once (FerretDB's upsert is not atomic): the other one inserted it.
    if (!isDuplicateKey(err)) throw err;
    await metaModel(conn).updateOne({ _id: key }, update);
  }
}

import type { Model } from 'mongoose';
import { isDuplicateKey } from './errors.js';

/**
 * Inserts `doc` as is (no mongoose casting or defaults: the caller builds the whole stored document);
 * false when a document with its `_id` exists already. The unique `_id` is the one arbiter that is
 * atomic on every backend (FerretDB v1 applies a filtered update as read, modify, write back), so races
 * in this codebase are settled by whoever inserts first.
 */
export async function insertUnique<T extends { _id: string }>(model: Model<T>, doc: T): Promise<boolean> {
  try {
    await model.collection.insertOne(doc as unknown as Parameters<typeof model.collection.insertOne>[0]);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

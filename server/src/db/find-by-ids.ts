import { trusted, type Model } from 'mongoose';

/** Most ids one query names (the patched FerretDB pushes `$in` of up to 1,000 ids to the _id index). */
const MAX_IDS = 1_000;

/**
 * The documents with these `_id`s, by id (missing ones are absent): one `{_id: {$in: ids}}` query per
 * 1,000 ids, a batch of key lookups on every backend (MongoDB's _id index; the patched FerretDB turns
 * it into `_id IN (…)` on its _id index, see tools/ferretdb/patches.ts).
 */
export async function findByIds<T extends { _id: string }>(
  model: Model<T>,
  ids: readonly string[],
  projection?: Record<string, 0 | 1>,
): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, T>();
  for (let i = 0; i < unique.length; i += MAX_IDS) {
    const chunk = unique.slice(i, i + MAX_IDS);
    const filter = chunk.length === 1 ? { _id: chunk[0] } : { _id: trusted({ $in: chunk }) };
    const docs = await model.find(filter as never, projection ?? null).lean<T[]>();
    for (const doc of docs) found.set(doc._id, doc);
  }
  return found;
}

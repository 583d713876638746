import type { Model } from 'mongoose';
import { isDuplicateKey } from './errors.js';

/** Most documents one batch insert carries. */
const MAX_BATCH = 100;

type Pending = { doc: object; resolve: (inserted: boolean) => void; reject: (err: unknown) => void };
type Collection = Model<{ _id: string }>['collection'];

/**
 * Group commit for one collection: an insert made while another is on its way to the database waits
 * for it and then goes out with every other insert queued meanwhile, as one unordered `insertMany`.
 * Alone, an insert leaves at once (no added latency when idle); under load, N concurrent requests pay
 * for one round trip and one transaction instead of N (FerretDB on SQLite: 4–9× less per document).
 * Each document still succeeds or fails on its own: a duplicate `_id` answers false for that one only.
 */
class BatchInserter {
  private readonly queue: Pending[] = [];
  private isFlushing = false;

  constructor(private readonly collection: Collection) {}

  insert(doc: object): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      void this.flush();
    });
  }

  private async flush() {
    if (this.isFlushing) return;
    this.isFlushing = true;
    try {
      while (this.queue.length > 0) await this.write(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.isFlushing = false;
    }
  }

  private async write(batch: Pending[]) {
    try {
      if (batch.length === 1) {
        await this.collection.insertOne((batch[0] as Pending).doc as never);
      } else {
        await this.collection.insertMany(
          batch.map((p) => p.doc as never),
          { ordered: false },
        );
      }
      for (const p of batch) p.resolve(true);
    } catch (err) {
      const failures = writeErrorsOf(err, batch.length);
      if (!failures) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const [i, p] of batch.entries()) {
        const failure = failures.get(i);
        if (failure === undefined) p.resolve(true);
        else if (isDuplicateKey(failure)) p.resolve(false);
        else p.reject(failure);
      }
    }
  }
}

/**
 * The per-document errors of a failed insert, by index in the batch; null when the failure is not per
 * document (a lost connection: nothing is known of any of them).
 */
function writeErrorsOf(err: unknown, size: number): Map<number, { code?: unknown }> | null {
  if (size === 1) return isDuplicateKey(err) ? new Map([[0, err as { code?: unknown }]]) : null;
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : null;
  if (!list || list.length === 0) return null;
  const map = new Map<number, { code?: unknown }>();
  for (const e of list as { index?: unknown; code?: unknown; err?: { code?: unknown } }[]) {
    if (typeof e.index !== 'number') return null;
    map.set(e.index, { code: e.code ?? e.err?.code });
  }
  return map;
}

const inserters = new WeakMap<Collection, BatchInserter>();

/**
 * Inserts `doc` as is (no mongoose casting or defaults: the caller builds the whole stored document);
 * false when a document with its `_id` exists already. The unique `_id` is the one arbiter that is
 * atomic on every backend (FerretDB v1 applies a filtered update as read, modify, write back), so races
 * in this codebase are settled by whoever inserts first. Concurrent inserts into one collection are
 * group-committed (see BatchInserter).
 */
export async function insertUnique<T extends { _id: string }>(model: Model<T>, doc: T): Promise<boolean> {
  const collection = model.collection as unknown as Collection;
  let inserter = inserters.get(collection);
  if (!inserter) inserters.set(collection, (inserter = new BatchInserter(collection)));
  return inserter.insert(doc);
}

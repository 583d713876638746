import { randomBytes } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { isDuplicateKey } from '../db/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Contribution } from './contribution.js';
import { applyContribution } from './counters.js';
import { rollupId } from './insight-keys.js';
import { insightModels, type InsightDayDoc, type InsightWriterDoc } from './insight.model.js';

type Pending = { accountId: string; day: string; inc: Record<string, number>; set: Record<string, string> };

/** Wait before writing a rollup again after the database refused it. */
const RETRY_MS = 1_000;

/**
 * This process's rollup documents: each event's counters are added to `<account>:<day>:<writer>`, a
 * document no other process writes, one write at a time per document (events arriving meanwhile are
 * merged into the next one): the counters kept in memory, replaced whole by `_id`. So no count is
 * lost to a concurrent write (FerretDB v1 applies `$inc` as a read then a write) and no upsert races. Before its first write of a day the process
 * takes a writer slot of that day, so readers find its documents by key.
 *
 * A count is written a few milliseconds after its decision; a process killed in between (kill -9)
 * loses the counts not yet written (its graceful stop writes them first).
 */
export class RollupWriter {
  /** Unique per process start: two processes never write one document. */
  readonly writer = randomBytes(6).toString('hex');
  private readonly pending = new Map<string, Pending>();
  private readonly writing = new Map<string, Promise<void>>();
  private readonly registered = new Map<string, Promise<void>>();
  /** Each document's counters as last written (this process is its only writer). */
  private readonly state = new Map<string, Record<string, unknown>>();
  private readonly days: Model<InsightDayDoc>;
  private readonly writers: Model<InsightWriterDoc>;

  constructor(
    conn: Connection,
    private readonly options: { clock: Clock; logger: Logger },
  ) {
    const models = insightModels(conn);
    this.days = models.InsightDay;
    this.writers = models.InsightWriter;
  }

  /** Adds an event's counters (written in the background, at once). */
  add(contribution: Contribution) {
    const id = rollupId(contribution.accountId, contribution.day, this.writer);
    const pending = this.pending.get(id) ?? {
      accountId: contribution.accountId,
      day: contribution.day,
      inc: {},
      set: {},
    };
    for (const [path, n] of Object.entries(contribution.inc)) pending.inc[path] = (pending.inc[path] ?? 0) + n;
    Object.assign(pending.set, contribution.set);
    this.pending.set(id, pending);
    if (!this.writing.has(id)) {
      const run = this.drain(id).finally(() => this.writing.delete(id));
      this.writing.set(id, run);
    }
  }

  /** Resolves once every count added so far is written (reads of this process call it first). */
  async flush(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing.values());
  }

  /** Writes the document's pending counters, one update at a time, until none is left. */
  private async drain(id: string): Promise<void> {
    for (;;) {
      const next = this.pending.get(id);
      if (!next) return;
      this.pending.delete(id);
      try {
        await this.register(next.day);
        // Only this process writes the document, so what it holds in memory is what is stored.
        const counters = structuredClone(this.state.get(id) ?? {});
        applyContribution(counters, next.inc, next.set);
        await this.days.collection.replaceOne(
          { _id: id as never },
          { accountId: next.accountId, day: next.day, writer: this.writer, json: JSON.stringify(counters) },
          { upsert: true },
        );
        this.state.set(id, counters);
      } catch (err) {
        // Put the counts back in front of what came meanwhile, and try again shortly.
        const later = this.pending.get(id);
        if (later) {
          for (const [path, n] of Object.entries(later.inc)) next.inc[path] = (next.inc[path] ?? 0) + n;
          Object.assign(next.set, later.set);
        }
        this.pending.set(id, next);
        this.options.logger.warn('insights rollup write failed; retrying', { error: String((err as Error).message) });
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      }
    }
  }

  /** Takes this process's writer slot of a day: the first free `<day>:<n>` (once per day). */
  private register(day: string): Promise<void> {
    let claim = this.registered.get(day);
    if (!claim) {
      claim = this.claimSlot(day);
      claim.catch(() => this.registered.delete(day));
      this.registered.set(day, claim);
    }
    return claim;
  }

  private async claimSlot(day: string): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        await this.writers.collection.insertOne({
          _id: `${day}:${n}` as never,
          writer: this.writer,
          createdAt: this.options.clock.now(),
        });
        return;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }
}

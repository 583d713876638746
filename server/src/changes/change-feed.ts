import { randomBytes } from 'node:crypto';
import type { Connection, Model } from 'mongoose';
import { firstMissing } from '../db/dense-keys.js';
import { findByIds } from '../db/find-by-ids.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { changeModel, type ChangeDoc } from './change.model.js';

/** Entries read per round of the tail (it goes on at once when there may be more). */
const READ_BATCH = 200;
/** Most entries one batch insert writes. */
const WRITE_BATCH = 100;
/** How long a missing position with later ones present is waited for before it is skipped. */
const GAP_PATIENCE_MS = 5_000;

export type ChangeListener<T> = (change: T, seq: number) => void;

/**
 * An insert-only, ordered feed of changes shared by every gateway process on one database: each process
 * appends what it changed and reads on from its own offset, one `_id` lookup per entry and one per round
 * when nothing is new. What it costs grows with what changes, never with what is stored, on MongoDB and
 * on FerretDB alike (no change streams, no sorted or filtered query).
 *
 * Positions are claimed by unique insert at the first free one, so the feed has no holes; concurrent
 * appends of one process go out as one batch insert (group commit). A reader that finds a position
 * missing while later ones exist (a writer that can no longer finish) skips it after a few seconds.
 */
export class ChangeFeed<T extends Record<string, unknown>> {
  private readonly model: Model<ChangeDoc>;
  private readonly listeners = new Set<ChangeListener<T>>();
  private readonly queue: { change: T; token: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private isWriting = false;
  /** Last position this process has read (and handed to listeners). */
  private offset = 0;
  /** Highest position known to exist. */
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private gapSince: number | null = null;
  private isStopped = false;
  /**
   * Positions this process appended that its reader has not delivered yet: known to exist, but known
   * here already (their changes were applied where they were made), so they do not make the feed behind.
   */
  private readonly ownUndelivered = new Set<number>();
  /** When the last read that reached the feed's end began (Date.now(); null: none yet). */
  private caughtUpAt: number | null = null;

  constructor(
    conn: Connection,
    private readonly options: { intervalMs: number; clock: Clock; logger: Logger },
  ) {
    this.model = changeModel(conn);
  }

  /** Finds the end of the feed (O(log n) lookups) and starts reading on from there. */
  async start(): Promise<number> {
    const startedAt = Date.now();
    this.head = (await firstMissing((n) => this.exists(n))) - 1;
    this.offset = this.head;
    this.caughtUpAt = startedAt;
    this.timer = setInterval(() => void this.readNow(), this.options.intervalMs);
    this.timer.unref();
    return this.offset;
  }

  stop() {
    this.isStopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Called for every change read from the feed, this process's own included, in feed order. */
  subscribe(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends a change; resolves once it is stored. */
  append(change: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ change, token: randomBytes(8).toString('hex'), resolve, reject });
      void this.flush();
    });
  }

  /**
   * Whether this process has seen every change other processes appended more than `maxAgeMs` ago: its
   * last read that reached the feed's end began at most that long ago, and no position written by
   * another process is known beyond what it has read. False when the reads fail or fall behind (a
   * long tail, a gap waited on), and once stopped: then what the feed has not said must be read.
   */
  isCurrent(maxAgeMs = 2 * this.options.intervalMs + 250): boolean {
    if (this.isStopped || this.caughtUpAt === null) return false;
    const unread = this.head - this.offset - this.ownUndelivered.size;
    return unread <= 0 && Date.now() - this.caughtUpAt <= maxAgeMs;
  }

  /** Reads what is new now (also runs every interval). */
  readNow(): Promise<void> {
    this.reading ??= this.readOn().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /**
   * Entries before `fromSeq` (exclusive; the end of the feed when omitted), newest first, at most
   * `max` of them: a bounded walk back by key, for "the latest N that match" reads.
   */
  async *readBackwards(max: number, fromSeq?: number): AsyncGenerator<{ seq: number; change: T }> {
    let seq = (fromSeq ?? (await firstMissing((n) => this.exists(n), this.head))) - 1;
    for (let read = 0; seq >= 1 && read < max;) {
      const batch = Array.from({ length: Math.min(200, seq, max - read) }, (_, i) => seq - i);
      const docs = await this.read(batch);
      for (const n of batch) {
        const doc = docs.get(String(n));
        if (doc) yield { seq: doc.seq, change: doc.change as T };
      }
      read += batch.length;
      seq -= batch.length;
    }
  }

  /** Entries after `fromSeq`, oldest first, up to the first missing position or `max` of them. */
  async *readForward(fromSeq: number, max: number): AsyncGenerator<{ seq: number; change: T }> {
    for (let seq = fromSeq + 1, read = 0; read < max;) {
      const batch = Array.from({ length: Math.min(200, max - read) }, (_, i) => seq + i);
      const docs = await this.read(batch);
      for (const n of batch) {
        const doc = docs.get(String(n));
        if (!doc) return;
        yield { seq: doc.seq, change: doc.change as T };
      }
      read += batch.length;
      seq += batch.length;
    }
  }

  /** The entries at these positions, by `_id` (one query). */
  private read(positions: number[]): Promise<Map<string, ChangeDoc>> {
    return findByIds(
      this.model,
      positions.map((n) => String(n)),
    );
  }

  private async exists(n: number): Promise<boolean> {
    return (await this.model.findById(String(n), { _id: 1 }).lean()) !== null;
  }

  private async flush() {
    if (this.isWriting) return;
    this.isWriting = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, WRITE_BATCH);
        try {
          await this.writeBatch(batch);
          for (const item of batch) item.resolve();
        } catch (err) {
          for (const item of batch) item.reject(err);
        }
      }
    } finally {
      this.isWriting = false;
    }
  }

  /** Writes the batch at the first free positions; on losing positions to another process, moves on. */
  private async writeBatch(batch: { change: T; token: string }[]) {
    let rest = batch;
    for (let attempt = 0; rest.length > 0; attempt++) {
      if (attempt >= 50) throw new Error('Could not append to the change feed: too many concurrent writers');
      const start = attempt === 0 ? this.head + 1 : await firstMissing((n) => this.exists(n), this.head);
      const now = this.options.clock.now();
      const docs: ChangeDoc[] = rest.map((item, i) => ({
        _id: String(start + i),
        seq: start + i,
        at: now,
        token: item.token,
        change: item.change,
      }));
      try {
        await this.model.collection.insertMany(docs as never[], { ordered: true });
        for (const doc of docs) if (doc.seq > this.offset) this.ownUndelivered.add(doc.seq);
        this.head = Math.max(this.head, start + docs.length - 1);
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 11000 && !String(err).includes('E11000')) throw err;
      }
      // Some positions were taken by another process: keep what landed as ours, write the rest further on.
      const stored = await findByIds(
        this.model,
        docs.map((doc) => doc._id),
        { token: 1 },
      );
      const landed = docs.map((doc) => stored.get(doc._id)?.token === doc.token);
      for (const [i, doc] of docs.entries()) if (landed[i] && doc.seq > this.offset) this.ownUndelivered.add(doc.seq);
      rest = rest.filter((_, i) => !landed[i]);
      this.head = Math.max(this.head, start - 1);
    }
  }

  private async readOn() {
    if (this.isStopped) return;
    const startedAt = Date.now();
    try {
      // One lookup when idle (the usual case); once something is new, batches of lookups in parallel
      // until the first missing position.
      const first = await this.model.findById(String(this.offset + 1)).lean<ChangeDoc>();
      if (!first) {
        this.caughtUpAt = startedAt;
        await this.maybeSkipGap();
        return;
      }
      this.gapSince = null;
      this.deliver(first);
      let size = 16;
      for (let round = 0; round < 50 && !this.isStopped; round++) {
        const positions = Array.from({ length: size }, (_, i) => this.offset + 1 + i);
        const docs = await this.read(positions);
        let delivered = 0;
        for (const n of positions) {
          const doc = docs.get(String(n));
          if (!doc || doc.seq !== this.offset + 1) break;
          this.deliver(doc);
          delivered++;
        }
        if (delivered < size) {
          this.caughtUpAt = startedAt;
          return;
        }
        size = Math.min(size * 4, READ_BATCH);
      }
    } catch (err) {
      this.options.logger.debug('change feed read failed', { error: String((err as Error).message) });
    }
  }

  private deliver(doc: ChangeDoc) {
    this.offset = doc.seq;
    this.ownUndelivered.delete(doc.seq);
    this.head = Math.max(this.head, doc.seq);
    for (const listener of this.listeners) {
      try {
        listener(doc.change as T, doc.seq);
      } catch (err) {
        this.options.logger.warn('change listener failed', { seq: doc.seq, error: String((err as Error).message) });
      }
    }
  }

  /** A missing position with a later one present, for longer than GAP_PATIENCE_MS, is skipped. */
  private async maybeSkipGap() {
    const now = Date.now();
    if (this.head <= this.offset) {
      // Nothing known beyond: look one position further every few seconds in case a writer died there.
      if (this.gapSince === null) this.gapSince = now;
      if (now - this.gapSince < GAP_PATIENCE_MS) return;
      this.gapSince = now;
      if (!(await this.exists(this.offset + 2))) return;
    } else if (this.gapSince === null) {
      this.gapSince = now;
      return;
    } else if (now - this.gapSince < GAP_PATIENCE_MS) {
      return;
    }
    this.options.logger.warn('change feed position skipped (missing while later ones exist)', {
      seq: this.offset + 1,
    });
    this.offset += 1;
    this.ownUndelivered.delete(this.offset);
    this.gapSince = null;
  }
}

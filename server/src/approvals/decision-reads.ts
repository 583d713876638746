import type { DecisionDoc } from './approval.model.js';

type Asked = {
  accountId: string;
  approvalId: string;
  resolve: (d: DecisionDoc | null) => void;
  reject: (e: unknown) => void;
};

/**
 * Decision records read by key for many callers at once: the lookups asked while a read is in flight
 * (or in the same turn of the event loop) go out together as one `_id: {$in}` read. Held waits that
 * time out together and cannot answer from memory (the change feed behind) use it, so hundreds of
 * them cost one round trip, not one each queueing on the database.
 */
export class DecisionReads {
  private asked: Asked[] = [];
  private isReading = false;

  constructor(private readonly read: (ids: string[]) => Promise<Map<string, DecisionDoc>>) {}

  /** The approval's decision record (null: none, or another account's). */
  find(accountId: string, approvalId: string): Promise<DecisionDoc | null> {
    return new Promise((resolve, reject) => {
      this.asked.push({ accountId, approvalId, resolve, reject });
      if (!this.isReading && this.asked.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush() {
    if (this.isReading || this.asked.length === 0) return;
    this.isReading = true;
    const batch = this.asked;
    this.asked = [];
    try {
      const found = await this.read([...new Set(batch.map((a) => a.approvalId))]);
      for (const a of batch) {
        const decision = found.get(a.approvalId);
        a.resolve(decision && decision.accountId === a.accountId ? decision : null);
      }
    } catch (err) {
      for (const a of batch) a.reject(err);
    } finally {
      this.isReading = false;
      // What was asked meanwhile goes out as the next batch.
      if (this.asked.length > 0) void this.flush();
    }
  }
}

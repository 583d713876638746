import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDatabase } from '../support/gateway.js';
import { queueOrder } from '../../server/src/approvals/pending-order.js';
import { PendingSet, type PendingEntry } from '../../server/src/approvals/pending-set.js';

/** A small deterministic random source (the same operations every run). */
function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const entry = (n: number, over: Partial<PendingEntry> = {}): PendingEntry => ({
  _id: `apr_${String(n).padStart(5, '0')}`,
  accountId: 'acc_1',
  ticketId: `t${n % 7}`,
  action: n % 3 === 0 ? 'cancel' : 'refund',
  createdAt: new Date(1_000_000 + n * 10),
  expiresAt: new Date(9_000_000_000 + n),
  escalatesAt: null,
  ...over,
});

/** What the indexes must agree with: the live entries filtered and sorted by brute force. */
const expected = (live: Map<string, PendingEntry>, f: (e: PendingEntry) => boolean) =>
  [...live.values()]
    .filter(f)
    .sort(queueOrder)
    .map((e) => e._id);

/** Every page of the queue, walked with the last entry of each page as the cursor. */
function walk(set: PendingSet, accountId: string, action: string | undefined, limit: number): string[] {
  const ids: string[] = [];
  for (let after: PendingEntry | null = null; ;) {
    const page = set.queue(accountId, { action, after, limit });
    if (page.length === 0) return ids;
    ids.push(...page.map((e) => e._id));
    after = page.at(-1) ?? null;
  }
}

describe('The pending set: by ticket and in queue order', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectTestDatabase('pending_set');
  });
  afterAll(async () => {
    await conn.dropDatabase();
    await conn.close();
  });

  it('When entries are added out of order, replaced, removed and escalated at random, then every ticket and queue page matches a full sort of what is live', () => {
    const set = new PendingSet(conn);
    const live = new Map<string, PendingEntry>();
    const random = seeded(16);
    for (let step = 0; step < 3_000; step++) {
      const n = Math.floor(random() * 400);
      const r = random();
      if (r < 0.55) {
        // Created, possibly a moment before the newest (a change another process made earlier), or the
        // same change applied twice (the feed and a reload), or on another account / without a ticket.
        const e = entry(n, {
          createdAt: new Date(1_000_000 + n * 10 + Math.floor(random() * 3)),
          ...(n % 11 === 0 ? { accountId: 'acc_2' } : {}),
          ...(n % 13 === 0 ? { ticketId: null } : {}),
        });
        set.add(e);
        live.set(e._id, e);
      } else if (r < 0.9) {
        set.remove(entry(n)._id); // decided or expired
        live.delete(entry(n)._id);
      } else {
        set.markEscalated(entry(n)._id);
        const e = live.get(entry(n)._id);
        if (e) e.escalatesAt = null;
      }
      if (step % 100 !== 0) continue;
      for (const accountId of ['acc_1', 'acc_2']) {
        for (const ticket of ['t0', 't3', 't6']) {
          expect(
            set
              .ofTicket(accountId, ticket)
              .map((e) => e._id)
              .sort(),
          ).toEqual(expected(live, (e) => e.accountId === accountId && e.ticketId === ticket).sort());
        }
        for (const action of [undefined, 'refund', 'cancel']) {
          const want = expected(live, (e) => e.accountId === accountId && (!action || e.action === action));
          expect(walk(set, accountId, action, 7)).toEqual(want);
          expect(set.queue(accountId, { action, after: null, limit: 50 }).map((e) => e._id)).toEqual(want.slice(0, 50));
          expect(set.ofAccount(accountId, action).map((e) => e._id)).toEqual(want);
        }
      }
      expect(set.size).toBe(live.size);
    }
  });

  it('When the entry a page ended on is removed before the next page is read, then the next page starts right after it', () => {
    const set = new PendingSet(conn);
    for (let n = 0; n < 30; n++) set.add(entry(n));
    const first = set.queue('acc_1', { after: null, limit: 10 });
    const cursor = first.at(-1) as PendingEntry;
    set.remove(cursor._id);
    set.remove(entry(10)._id);
    expect(set.queue('acc_1', { after: cursor, limit: 3 }).map((e) => e._id)).toEqual(
      [11, 12, 13].map((n) => entry(n)._id),
    );
  });

  it('When the set is loaded from its durable copy, then tickets and the queue come back in order, and a ticket never lists another account', async () => {
    const set = new PendingSet(conn);
    const entries = Array.from({ length: 200 }, (_, n) =>
      entry(n, { createdAt: new Date(2_000_000 - n * 10), ...(n % 2 ? { accountId: 'acc_2' } : {}) }),
    );
    for (const e of entries) await set.insertDurable(e);
    await set.removeDurable(entries[4]!._id);
    const fresh = new PendingSet(conn);
    expect(await fresh.load()).toBe(199);
    const live = new Map(entries.filter((_, i) => i !== 4).map((e) => [e._id, e]));
    expect(walk(fresh, 'acc_1', undefined, 16)).toEqual(expected(live, (e) => e.accountId === 'acc_1'));
    expect(walk(fresh, 'acc_2', 'cancel', 16)).toEqual(
      expected(live, (e) => e.accountId === 'acc_2' && e.action === 'cancel'),
    );
    const t2 = fresh.ofTicket('acc_1', 't2').map((e) => e._id);
    expect(t2.sort()).toEqual(expected(live, (e) => e.accountId === 'acc_1' && e.ticketId === 't2').sort());
    expect(fresh.ofTicket('acc_3', 't2')).toEqual([]);
  });
});

import type { Connection } from 'mongoose';
import { accountModels } from './accounts/account.model.js';
import type { ApprovalChange } from './approvals/approval-changes.js';
import { approvalModels, type ApprovalDoc, type DecisionDoc } from './approvals/approval.model.js';
import { callbackModels } from './callbacks/delivery.model.js';
import { fillRollups } from './insights/insights.js';
import type { ChangeFeed } from './changes/change-feed.js';
import { isDuplicateKey } from './db/errors.js';
import { readMeta, writeMeta } from './db/meta.js';
import type { Logger } from './lib/logger.js';

/**
 * The layout this code reads and writes. 1: Cheqpoint 0.1 (no pending set, slots, feed or outbox);
 * 2: no insights rollups.
 */
export const STORAGE_VERSION = 3;
const VERSION_KEY = 'storage-version';

/** Secondary indexes of 0.1 that no read uses any more (each write kept them up to date). */
const RETIRED_INDEXES: Record<string, string[]> = {
  approvals: ['account_ticket_status_age', 'account_status_age', 'status_expires'],
  decisions: ['delivery_due'],
  idempotency_records: ['expires'],
  delivery_claims: ['created'],
};

const BATCH = 1_000;

/** Inserts documents in batches, ignoring those that exist already (a rerun, or another process). */
async function insertAll(insert: (docs: object[]) => Promise<unknown>, docs: object[]) {
  for (let i = 0; i < docs.length; i += BATCH) {
    try {
      await insert(docs.slice(i, i + BATCH));
    } catch (err) {
      if (!isDuplicateKey(err) && !String(err).includes('E11000')) throw err;
      // Some existed: insert the batch one by one, skipping the duplicates.
      for (const doc of docs.slice(i, i + BATCH)) {
        try {
          await insert([doc]);
        } catch (inner) {
          if (!isDuplicateKey(inner) && !String(inner).includes('E11000')) throw inner;
        }
      }
    }
  }
}

/**
 * Brings a database written by an earlier version up to this one, in place, idempotently (a crash or a
 * second process doing it at the same time repeats work, never loses or breaks any): fills the pending
 * set, the tickets' slots, the callback outbox and the change feed from what is stored, then records
 * the version; from version 2, only the insights rollups. Reads every approval and decision once; a
 * new or current database costs one lookup.
 */
export async function upgradeStorage(
  conn: Connection,
  feed: ChangeFeed<ApprovalChange>,
  logger: Logger,
): Promise<{ from: number; upgraded: boolean }> {
  const current = await readMeta(conn, VERSION_KEY);
  if (current !== null && current >= STORAGE_VERSION) return { from: current, upgraded: false };
  const { Approval, Decision, TicketSlot, Pending } = approvalModels(conn);
  const { Outbox } = callbackModels(conn);
  const approvals = await Approval.find({}).lean<ApprovalDoc[]>();
  if (current === null && approvals.length === 0 && (await accountModels(conn).ApiKey.countDocuments({})) === 0) {
    await writeMeta(conn, VERSION_KEY, STORAGE_VERSION);
    return { from: STORAGE_VERSION, upgraded: false };
  }
  const started = Date.now();
  logger.info('upgrading stored data', { from: current ?? 1, to: STORAGE_VERSION, approvals: approvals.length });
  const decisions = new Map(
    (await Decision.find({}).lean<DecisionDoc[]>()).map((decision) => [decision._id, decision] as const),
  );
  // Insights rollups (new in 3), counted from the stored approvals as a gateway counts them live.
  const rollups = await fillRollups(conn, approvals, decisions);
  if (current === 2) {
    await writeMeta(conn, VERSION_KEY, STORAGE_VERSION);
    logger.info('stored data upgraded', { to: STORAGE_VERSION, rollups, ms: Date.now() - started });
    return { from: current, upgraded: true };
  }

  // Pending set: approvals without a decision record.
  const pending = approvals.filter((a) => a.status === 'pending' && !decisions.has(a._id));
  await insertAll(
    (docs) => Pending.collection.insertMany(docs as never[], { ordered: true }),
    pending.map((a) => ({
      _id: a._id,
      accountId: a.accountId,
      ticketId: a.ticketId,
      action: a.action,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
    })),
  );

  // Ticket slots, oldest first, after any slots the ticket has already (given by this version's intakes).
  const byTicket = new Map<string, ApprovalDoc[]>();
  for (const a of approvals) {
    if (!a.ticketId) continue;
    const key = `${a.accountId}:${a.ticketId}`;
    byTicket.set(key, [...(byTicket.get(key) ?? []), a]);
  }
  const slots: object[] = [];
  for (const [key, list] of byTicket) {
    const taken = new Set<string>();
    let n = 0;
    for (; ; n++) {
      const slot = await TicketSlot.findById(`${key}:${n + 1}`).lean<{ approvalId: string }>();
      if (!slot) break;
      taken.add(slot.approvalId);
    }
    for (const a of list.sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime())) {
      if (taken.has(a._id)) continue;
      slots.push({ _id: `${key}:${++n}`, approvalId: a._id, createdAt: a.createdAt });
    }
  }
  await insertAll((docs) => TicketSlot.collection.insertMany(docs as never[], { ordered: true }), slots);

  // Callback outbox: decisions whose delivery is not final.
  const unfinished = [...decisions.values()].filter((d) => d.delivery.state === 'pending');
  await insertAll(
    (docs) => Outbox.collection.insertMany(docs as never[], { ordered: true }),
    unfinished.map((d) => ({ _id: d._id, dueAt: d.delivery.nextAttemptAt ?? new Date(), createdAt: new Date() })),
  );

  // Change feed: past decisions, in the order they were made (the lists of decided approvals read it).
  const byId = new Map(approvals.map((a) => [a._id, a] as const));
  const decided = [...decisions.values()].sort((a, b) => a.decidedAt.getTime() - b.decidedAt.getTime());
  for (let i = 0; i < decided.length; i += BATCH) {
    await Promise.all(
      decided.slice(i, i + BATCH).flatMap((d) => {
        const approval = byId.get(d._id);
        if (!approval) return [];
        return [
          feed.append({
            kind: 'decided',
            approvalId: d._id,
            accountId: d.accountId,
            ticketId: approval.ticketId,
            action: approval.action,
            outcome: d.outcome,
          }),
        ];
      }),
    );
  }

  // Key lookups by hash.
  const { ApiKey, ApiKeyHash } = accountModels(conn);
  const keys = await ApiKey.find({}, { _id: 1, hash: 1 }).lean();
  await insertAll(
    (docs) => ApiKeyHash.collection.insertMany(docs as never[], { ordered: true }),
    keys.map((k) => ({ _id: k.hash, keyId: k._id })),
  );

  for (const [collection, names] of Object.entries(RETIRED_INDEXES)) {
    for (const name of names)
      await conn
        .collection(collection)
        .dropIndex(name)
        .catch(() => {});
  }
  await writeMeta(conn, VERSION_KEY, STORAGE_VERSION);
  logger.info('stored data upgraded', {
    to: STORAGE_VERSION,
    pending: pending.length,
    ticketSlots: slots.length,
    outbox: unfinished.length,
    rollups,
    ms: Date.now() - started,
  });
  return { from: current ?? 1, upgraded: true };
}

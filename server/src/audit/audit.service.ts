import { setTimeout as sleep } from 'node:timers/promises';
import { trusted, type Connection } from 'mongoose';
import { firstMissing } from '../db/dense-keys.js';
import { findByIds } from '../db/find-by-ids.js';
import { insertUnique } from '../db/insert-unique.js';
import { canonicalJson, eventHash, verifyChain, type ChainCheck } from './audit-chain.js';
import { auditModels, type AuditActor, type AuditEventDoc, type AuditEventType } from './audit-event.model.js';

/** Rounds an append may lose to concurrent appends on the same approval before it gives up. */
const MAX_APPEND_ATTEMPTS = 100;

/** An event as the API and the export show it: `at` in ISO 8601, `data` parsed. */
export type AuditEventView = {
  approvalId: string;
  accountId: string;
  seq: number;
  type: AuditEventType;
  actor: AuditActor;
  at: string;
  data: Record<string, unknown>;
  prevHash: string | null;
  hash: string;
};

export function toEventView(doc: AuditEventDoc): AuditEventView {
  return {
    approvalId: doc.approvalId,
    accountId: doc.accountId,
    seq: doc.seq,
    type: doc.type,
    actor: doc.actor,
    at: doc.at.toISOString(),
    data: JSON.parse(doc.data) as Record<string, unknown>,
    prevHash: doc.prevHash,
    hash: doc.hash,
  };
}

/** The stored form of an exported event (`data` back to canonical JSON), for verifying an export. */
export function fromEventView(view: AuditEventView): AuditEventDoc {
  return {
    _id: `${view.approvalId}:${view.seq}`,
    approvalId: view.approvalId,
    accountId: view.accountId,
    seq: view.seq,
    type: view.type,
    actor: view.actor,
    at: new Date(view.at),
    data: canonicalJson(view.data),
    prevHash: view.prevHash,
    hash: view.hash,
  };
}

function cleanActor(actor: AuditActor): AuditActor {
  const out: AuditActor = { type: actor.type };
  if (typeof actor.id === 'string') out.id = actor.id;
  if (typeof actor.name === 'string') out.name = actor.name;
  if (typeof actor.verified === 'boolean') out.verified = actor.verified;
  return out;
}

type ChainLink = Pick<AuditEventDoc, 'hash' | 'accountId'>;

/**
 * Inserts the event at position `seq` after `prev` (null for the first); null when that position is
 * taken (the unique `_id` `<approvalId>:<seq>` arbitrates).
 */
async function insertAt(
  conn: Connection,
  event: { accountId: string; approvalId: string; type: AuditEventType; actor: AuditActor; at: Date; data: string },
  seq: number,
  prev: ChainLink | null,
): Promise<AuditEventDoc | null> {
  if (prev && prev.accountId !== event.accountId) {
    throw new Error(`Approval ${event.approvalId} has audit events of another account`);
  }
  const unhashed = {
    approvalId: event.approvalId,
    accountId: event.accountId,
    seq,
    type: event.type,
    actor: cleanActor(event.actor),
    at: event.at,
    data: event.data,
    prevHash: prev?.hash ?? null,
  };
  const doc: AuditEventDoc = { _id: `${event.approvalId}:${seq}`, ...unhashed, hash: eventHash(unhashed) };
  return (await insertUnique(auditModels(conn).AuditEvent, doc)) ? doc : null;
}

/** How far past a missing position a chain read looks for later events (a deleted event is then a gap). */
const GAP_LOOKAHEAD = 8;

type Last = Pick<AuditEventDoc, 'seq' | 'hash' | 'accountId'>;

/** The event at `seq` of the approval's chain by its `_id`, or null. */
function eventAt(conn: Connection, approvalId: string, seq: number): Promise<Last | null> {
  return auditModels(conn)
    .AuditEvent.findById(`${approvalId}:${seq}`, { seq: 1, hash: 1, accountId: 1 })
    .lean<Last>()
    .exec();
}

/**
 * The last event of the chain (null when it has none), found by key from `hint` (the position the
 * caller expects to be free): two lookups when the hint is right, O(log n) otherwise.
 */
async function lastEvent(conn: Connection, approvalId: string, hint = 1): Promise<Last | null> {
  const free = await firstMissing(async (n) => (await eventAt(conn, approvalId, n)) !== null, Math.max(0, hint - 1));
  return free > 1 ? eventAt(conn, approvalId, free - 1) : null;
}

/**
 * Appends an event to an approval's chain at the next free position: reads the previous event, inserts
 * seq + 1 pointing at its hash, and on losing the position to a concurrent append (duplicate `_id`)
 * moves on to the next one.
 *
 * `expectedSeq` is where the caller expects the event to land. Every read is by `_id`
 * (`<approvalId>:<seq>`), which every backend serves by key: a wrong guess costs a few more lookups,
 * never a broken chain or a scan.
 */
export async function appendEvent(
  conn: Connection,
  accountId: string,
  approvalId: string,
  type: AuditEventType,
  actor: AuditActor,
  data: Record<string, unknown> = {},
  at: Date = new Date(),
  expectedSeq?: number,
): Promise<AuditEventDoc> {
  const dataJson = canonicalJson(data);
  let next = expectedSeq !== undefined && expectedSeq >= 1 ? Math.floor(expectedSeq) : 1;
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
    const before = next > 1 ? await eventAt(conn, approvalId, next - 1) : null;
    const last = next === 1 || before === null ? await lastEvent(conn, approvalId, next) : before;
    const seq = (last?.seq ?? 0) + 1;
    const doc = await insertAt(conn, { accountId, approvalId, type, actor, at, data: dataJson }, seq, last);
    if (doc) return doc;
    // Someone holds this position: the next free one is further on (read by key again).
    next = seq + 1;
    if (attempt > 0) await sleep(Math.random() * Math.min(20, attempt));
  }
  throw new Error(`Could not append to the audit trail of ${approvalId}: too many concurrent appends`);
}

/**
 * Writes an event at exactly position `seq` of the approval's chain, or nothing when that position is
 * taken already (returns null). For events that belong at a fixed place and must be written once even
 * when several requests try (the first events of an approval, written again by a retried intake).
 */
export async function appendEventAt(
  conn: Connection,
  accountId: string,
  approvalId: string,
  seq: number,
  type: AuditEventType,
  actor: AuditActor,
  data: Record<string, unknown>,
  at: Date,
): Promise<AuditEventDoc | null> {
  const prev =
    seq > 1
      ? await auditModels(conn)
          .AuditEvent.findById(`${approvalId}:${seq - 1}`, { hash: 1, accountId: 1 })
          .lean<ChainLink>()
      : null;
  if (seq > 1 && !prev) {
    throw new Error(`Audit event ${seq - 1} of ${approvalId} is missing: cannot write event ${seq}`);
  }
  return insertAt(conn, { accountId, approvalId, type, actor, at, data: canonicalJson(data) }, seq, prev);
}

/**
 * An approval's events in order; empty for an unknown approval or another account's. Read by key
 * (`<approvalId>:1`, `:2`, …); past a missing position it looks a few positions further, so a deleted
 * event shows as a gap that verifyChain reports.
 */
export async function listEvents(conn: Connection, accountId: string, approvalId: string): Promise<AuditEventDoc[]> {
  const { AuditEvent } = auditModels(conn);
  const events: AuditEventDoc[] = [];
  let misses = 0;
  for (let from = 1; misses < GAP_LOOKAHEAD; from += 2 * GAP_LOOKAHEAD) {
    const ids = Array.from({ length: 2 * GAP_LOOKAHEAD }, (_, i) => `${approvalId}:${from + i}`);
    const found = await findByIds(AuditEvent, ids);
    for (const doc of ids.map((id) => found.get(id))) {
      if (!doc) {
        misses++;
        continue;
      }
      misses = 0;
      if (doc.accountId === accountId) events.push(doc);
    }
  }
  return events;
}

/**
 * The approval's events from position 1 up to the first missing one (no look-ahead), eight keys per
 * query: the short read the decision writer needs on its hot path.
 */
export async function readChainPrefix(conn: Connection, approvalId: string): Promise<AuditEventDoc[]> {
  const { AuditEvent } = auditModels(conn);
  const events: AuditEventDoc[] = [];
  for (let from = 1; ; from += 8) {
    const ids = Array.from({ length: 8 }, (_, i) => `${approvalId}:${from + i}`);
    const found = await findByIds(AuditEvent, ids);
    for (const doc of ids.map((id) => found.get(id))) {
      if (!doc) return events;
      events.push(doc);
    }
  }
}

/** Events with `from <= at < to` (optionally of one account), oldest first, read in batches. */
export async function* exportEvents(
  conn: Connection,
  range: { from: Date; to: Date; accountId?: string },
): AsyncGenerator<AuditEventView> {
  const { AuditEvent } = auditModels(conn);
  const filter = {
    at: trusted({ $gte: range.from, $lt: range.to }),
    ...(range.accountId ? { accountId: range.accountId } : {}),
  };
  const cursor = AuditEvent.find(filter).sort({ at: 1, approvalId: 1, seq: 1 }).lean<AuditEventDoc>().cursor();
  try {
    for await (const doc of cursor) yield toEventView(doc as AuditEventDoc);
  } finally {
    await cursor.close();
  }
}

export type StoredChainCheck = ChainCheck & { approvalId: string; accountId: string };

/**
 * Verifies the stored chains of every approval (or of one account, or one approval), one result per
 * approval. Events are streamed in (approvalId, seq) order, so memory holds one chain at a time.
 */
export async function* verifyStoredChains(
  conn: Connection,
  scope: { accountId?: string; approvalId?: string } = {},
): AsyncGenerator<StoredChainCheck> {
  const { AuditEvent } = auditModels(conn);
  const filter = {
    ...(scope.accountId ? { accountId: scope.accountId } : {}),
    ...(scope.approvalId ? { approvalId: scope.approvalId } : {}),
  };
  const cursor = AuditEvent.find(filter).sort({ approvalId: 1, seq: 1 }).lean<AuditEventDoc>().cursor();
  let chain: AuditEventDoc[] = [];
  const finish = (): StoredChainCheck => {
    const first = chain[0] as AuditEventDoc;
    return { approvalId: first.approvalId, accountId: first.accountId, ...verifyChain(chain) };
  };
  try {
    for await (const raw of cursor) {
      const doc = raw as AuditEventDoc;
      if (chain.length > 0 && chain[0]?.approvalId !== doc.approvalId) {
        yield finish();
        chain = [];
      }
      chain.push(doc);
    }
    if (chain.length > 0) yield finish();
  } finally {
    await cursor.close();
  }
}

import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { approvalModels, type ApprovalDoc, type DecisionDoc } from '../../server/src/approvals/approval.model.js';
import { auditModels, type AuditEventDoc } from '../../server/src/audit/audit-event.model.js';
import { canonicalJson, eventHash } from '../../server/src/audit/audit-chain.js';
import { STORAGE_VERSION } from '../../server/src/storage-upgrade.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newId = () => `apr_${randomBytes(16).toString('hex')}`;

/** Approvals per ticket (5,000 tickets at 100,000), and every how many approvals one is pending (10 %). */
export const PER_TICKET = 20;
export const PENDING_EVERY = 10;
/** Approvals per insertMany of each collection. */
const BATCH = 1_000;
/** Seeded approvals were created over the 10 days before the run (oldest first). */
const SPAN_MS = 10 * 24 * 3600 * 1000;
const MAX_APPROVALS = 200_000;
const DECIDER = { type: 'agent', id: '42', name: 'Ada Agent', verified: false } as const;

/** What the seeding has written to one database so far, and the pending approvals of each step. */
export type SeedState = {
  accountId: string;
  /** A flow key id for the `requested` audit events' actor. */
  keyId: string;
  stored: number;
  tickets: number;
  baseTime: number;
  /** Pending approvals written by the last growth step, oldest first (samples take from its end). */
  newPending: string[];
  /** Every seeded approval id that is pending and not yet used by a sample (oldest first). */
  unusedPending: string[];
  /** A few seeded approvals per ticket, for the baseline's reads. */
  sampleIds: string[];
  /**
   * What is stored now, counted by the benchmark (seeded, plus what its samples created and decided):
   * a count would scan the collection on FerretDB SQLite (tens of seconds at 100,000).
   */
  counts: { approvals: number; decisions: number; pending: number };
  /** Audit events written: none, `requested` of the pending approvals only, or every approval's events. */
  audit: AuditSeeding;
};

export type AuditSeeding = 'none' | 'pending' | 'all';

export function newSeedState(accountId: string, keyId: string, audit: AuditSeeding): SeedState {
  return {
    accountId,
    keyId,
    stored: 0,
    tickets: 0,
    baseTime: Date.now() - SPAN_MS,
    newPending: [],
    unusedPending: [],
    sampleIds: [],
    counts: { approvals: 0, decisions: 0, pending: 0 },
    audit,
  };
}

/**
 * The documents the gateway itself writes for approval number `i` (in creation order): the approval,
 * its decision record when decided (no callback: delivery state `none`), its ticket slot
 * `<account>:<ticket>:<n>` (n dense per ticket in creation order), its pending-set entry when pending,
 * and its audit events (`requested` at 1, `decided` at 2) as `state.audit` says.
 */
function docsOf(state: SeedState, i: number) {
  const ticketId = `t${Math.floor(i / PER_TICKET)}`;
  const slot = (i % PER_TICKET) + 1;
  const isPending = i % PENDING_EVERY === PENDING_EVERY - 1;
  const createdAt = new Date(state.baseTime + Math.floor((i * SPAN_MS) / MAX_APPROVALS));
  const details = { ticket_id: ticketId, order: `o-${i}`, amount: 25 + (i % 100) };
  const detailsJson = JSON.stringify(details);
  const detailsSha256 = sha256(detailsJson);
  const requestSha256 = sha256(`${detailsJson}:${i}`);
  const decidedAt = isPending ? null : new Date(createdAt.getTime() + 60_000);
  const approval: ApprovalDoc = {
    _id: newId(),
    accountId: state.accountId,
    action: 'refund',
    summary: `Refund order o-${i}`,
    detailsJson,
    detailsSha256,
    justification: 'Customer asked for a refund of a damaged item.',
    ticketId,
    callbackUrl: null,
    riskLevel: null,
    priority: null,
    agentName: null,
    metadataJson: null,
    requestSha256,
    status: isPending ? 'pending' : 'approved',
    createdAt,
    // Pending ones stay pending for the whole run (the expiry sweep must find nothing due).
    expiresAt: isPending ? new Date(Date.now() + 7 * 24 * 3600 * 1000) : new Date(createdAt.getTime() + 86_400_000),
    decidedAt,
    decisionNote: null,
    modifiedDetailsJson: null,
    decidedBy: isPending ? null : { ...DECIDER },
    policy: null,
  };
  const decision: DecisionDoc | null = decidedAt
    ? {
        _id: approval._id,
        accountId: state.accountId,
        outcome: 'approved',
        note: null,
        modifiedDetailsJson: null,
        decidedBy: { ...DECIDER },
        decisionRequestId: null,
        decidedAt,
        delivery: {
          state: 'none',
          webhookId: `msg_${approval._id}`,
          callbackUrl: null,
          attempts: 0,
          nextAttemptAt: null,
          lastError: null,
        },
      }
    : null;
  const ticketSlot = { _id: `${state.accountId}:${ticketId}:${slot}`, approvalId: approval._id, createdAt };
  const pending = isPending
    ? {
        _id: approval._id,
        accountId: state.accountId,
        ticketId,
        action: approval.action,
        createdAt,
        expiresAt: approval.expiresAt,
      }
    : null;
  const events: AuditEventDoc[] = [];
  if (state.audit === 'all' || (state.audit === 'pending' && isPending)) {
    const requested = {
      approvalId: approval._id,
      accountId: state.accountId,
      seq: 1,
      type: 'requested' as const,
      actor: { type: 'flow' as const, id: state.keyId },
      at: createdAt,
      data: canonicalJson({ action: approval.action, ticketId, detailsSha256, requestSha256 }),
      prevHash: null,
    };
    const first = { _id: `${approval._id}:1`, ...requested, hash: eventHash(requested) };
    events.push(first);
    if (decidedAt && state.audit === 'all') {
      const decided = {
        approvalId: approval._id,
        accountId: state.accountId,
        seq: 2,
        type: 'decided' as const,
        actor: { type: 'agent' as const, id: DECIDER.id, name: DECIDER.name },
        at: decidedAt,
        data: canonicalJson({ outcome: 'approved', note: null, modifiedDetailsSha256: null, decisionRequestId: null }),
        prevHash: first.hash,
      };
      events.push({ _id: `${approval._id}:2`, ...decided, hash: eventHash(decided) });
    }
  }
  return { approval, decision, ticketSlot, pending, events, isPending, slot };
}

/** The storage-version record, so a gateway starting on the seeded database runs no in-place upgrade. */
export async function markStorageCurrent(conn: Connection) {
  await conn
    .collection('cheqpoint_meta')
    .updateOne(
      { _id: 'storage-version' as never },
      { $set: { value: STORAGE_VERSION, updatedAt: new Date() } },
      { upsert: true },
    );
}

/**
 * Grows the seeded store to `target` approvals with insertMany batches straight into the collections
 * (whole tickets of PER_TICKET approvals each, so the slots of a ticket are written in one step).
 * Returns the documents written per collection and the time taken.
 */
export async function growTo(
  conn: Connection,
  state: SeedState,
  target: number,
): Promise<{ ms: number; docs: Record<string, number> }> {
  const started = performance.now();
  const { Approval, Decision, TicketSlot, Pending } = approvalModels(conn);
  const { AuditEvent } = auditModels(conn);
  const counts: Record<string, number> = {
    approvals: 0,
    decisions: 0,
    ticket_slots: 0,
    pending_approvals: 0,
    audit_events: 0,
  };
  state.newPending = [];
  const insert = async (
    name: string,
    model: { collection: { insertMany: (docs: never[], o: object) => unknown } },
    docs: object[],
  ) => {
    if (docs.length === 0) return;
    await model.collection.insertMany(docs as never[], { ordered: false });
    counts[name] = (counts[name] ?? 0) + docs.length;
  };
  for (let from = state.stored; from < target; from += BATCH) {
    const to = Math.min(target, from + BATCH);
    const approvals: object[] = [];
    const decisions: object[] = [];
    const slots: object[] = [];
    const pending: object[] = [];
    const events: object[] = [];
    for (let i = from; i < to; i++) {
      const d = docsOf(state, i);
      approvals.push(d.approval);
      if (d.decision) decisions.push(d.decision);
      slots.push(d.ticketSlot);
      if (d.pending) pending.push(d.pending);
      events.push(...d.events);
      if (d.isPending) state.newPending.push(d.approval._id);
      if (d.slot === 1 || d.slot === PER_TICKET / 2) state.sampleIds.push(d.approval._id);
    }
    await Promise.all([
      insert('approvals', Approval, approvals),
      insert('decisions', Decision, decisions),
      insert('ticket_slots', TicketSlot, slots),
      insert('pending_approvals', Pending, pending),
      insert('audit_events', AuditEvent, events),
    ]);
  }
  state.counts.approvals += counts['approvals'] ?? 0;
  state.counts.decisions += counts['decisions'] ?? 0;
  state.counts.pending += counts['pending_approvals'] ?? 0;
  state.stored = Math.max(state.stored, target);
  state.tickets = Math.ceil(state.stored / PER_TICKET);
  state.unusedPending.push(...state.newPending);
  return { ms: Math.round(performance.now() - started), docs: counts };
}

/**
 * Takes `n` pending approvals for samples that decide them: the newest ones of the last growth step
 * (so the oldest, which the queue's first page shows, stay pending).
 */
export function takePending(state: SeedState, n: number): string[] {
  const taken = state.newPending.splice(Math.max(0, state.newPending.length - n), n);
  if (taken.length < n) {
    // Not enough new ones (small sizes): the newest of the earlier steps that no sample used yet.
    const fresh = new Set(taken);
    const older = state.unusedPending.filter((id) => !fresh.has(id));
    taken.push(...older.slice(Math.max(0, older.length - (n - taken.length))));
  }
  const used = new Set(taken);
  state.unusedPending = state.unusedPending.filter((id) => !used.has(id));
  return taken;
}

/** Records what a sample phase created (approvals, pending ones) and decided. */
export function noteSamples(state: SeedState, delta: { created?: number; createdPending?: number; decided?: number }) {
  state.counts.approvals += delta.created ?? 0;
  state.counts.pending += (delta.createdPending ?? 0) - (delta.decided ?? 0);
  state.counts.decisions += delta.decided ?? 0;
}

/** Ticket ids of the extra pending-set entries start with this. */
const WIDE_TICKET_PREFIX = 'wide-';
/** The oldest extras have their approval stored too: more than any measured queue page reaches. */
const WIDE_WITH_APPROVAL = 1_000;

/** A pending approval of the working-set extras, as the gateway stores it. */
function wideApproval(state: SeedState, id: string, ticketId: string, k: number, createdAt: Date, expiresAt: Date) {
  const detailsJson = JSON.stringify({ ticket_id: ticketId, order: `w-${k}`, amount: 25 + (k % 100) });
  const approval: ApprovalDoc = {
    _id: id,
    accountId: state.accountId,
    action: 'refund',
    summary: `Refund order w-${k}`,
    detailsJson,
    detailsSha256: sha256(detailsJson),
    justification: 'Customer asked for a refund of a damaged item.',
    ticketId,
    callbackUrl: null,
    riskLevel: null,
    priority: null,
    agentName: null,
    metadataJson: null,
    requestSha256: sha256(`${detailsJson}:w${k}`),
    status: 'pending',
    createdAt,
    expiresAt,
    decidedAt: null,
    decisionNote: null,
    modifiedDetailsJson: null,
    decidedBy: null,
    policy: null,
  };
  return approval;
}

/**
 * Grows the account's pending working set by `count` entries: pending-set entries in the gateway's
 * format (`pending_approvals`) on tickets of their own (`wide-<k>`, 10 each), created after everything
 * seeded, so every seeded ticket is the same as without them and the queue's first page is the oldest
 * pending ones (extras only where too few seeded ones are left). The entries are what the pending set
 * holds and what a ticket list or a queue page would filter or sort; the oldest WIDE_WITH_APPROVAL of
 * them also have their approval stored (a queue page that reaches the extras reads those, as it would
 * real ones); the others' approvals are not written, as no measured call reads them, so the store
 * stays the size's and only the working set differs. Returns the ids whose approval was written.
 */
export async function addPendingWorkingSet(
  conn: Connection,
  state: SeedState,
  count: number,
): Promise<{ ms: number; entryIds: string[]; approvalIds: string[] }> {
  const started = performance.now();
  const { Approval, Pending } = approvalModels(conn);
  const entryIds: string[] = [];
  const now = Date.now();
  const expiresAt = new Date(now + 7 * 24 * 3600 * 1000);
  const approvalIds: string[] = [];
  for (let from = 0; from < count; from += BATCH) {
    const entries: object[] = [];
    const approvals: ApprovalDoc[] = [];
    for (let k = from; k < Math.min(count, from + BATCH); k++) {
      const id = newId();
      const ticketId = `${WIDE_TICKET_PREFIX}${Math.floor(k / 10)}`;
      const createdAt = new Date(now + k);
      entries.push({ _id: id, accountId: state.accountId, ticketId, action: 'refund', createdAt, expiresAt });
      entryIds.push(id);
      if (k < WIDE_WITH_APPROVAL) {
        approvals.push(wideApproval(state, id, ticketId, k, createdAt, expiresAt));
        approvalIds.push(id);
      }
    }
    await Promise.all([
      Pending.collection.insertMany(entries as never[], { ordered: false }),
      approvals.length ? Approval.collection.insertMany(approvals as never[], { ordered: false }) : null,
    ]);
  }
  return { ms: Math.round(performance.now() - started), entryIds, approvalIds };
}

/** Removes what addPendingWorkingSet wrote (deleteMany by `_id: {$in}`, 1,000 ids at a time). */
export async function removePendingWorkingSet(
  conn: Connection,
  written: { entryIds: string[]; approvalIds: string[] },
): Promise<{ ms: number }> {
  const started = performance.now();
  const { Approval, Pending } = approvalModels(conn);
  const remove = async (collection: typeof Pending.collection, ids: string[]) => {
    for (let i = 0; i < ids.length; i += BATCH) {
      await collection.deleteMany({ _id: { $in: ids.slice(i, i + BATCH) } } as never);
    }
  };
  await Promise.all([remove(Pending.collection, written.entryIds), remove(Approval.collection, written.approvalIds)]);
  return { ms: Math.round(performance.now() - started) };
}

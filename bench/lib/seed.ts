import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { approvalModels, type ApprovalDoc, type DecisionDoc } from '../../server/src/approvals/approval.model.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newId = () => `apr_${randomBytes(16).toString('hex')}`;

/** A stored approval with exactly the shape of ApprovalDoc (what intake writes). */
export function approvalDoc(
  accountId: string,
  options: {
    ticketId: string;
    status?: ApprovalDoc['status'];
    createdAt?: Date;
    callbackUrl?: string | null;
    n?: number;
  },
): ApprovalDoc {
  const createdAt = options.createdAt ?? new Date();
  const status = options.status ?? 'pending';
  const details = { ticket_id: options.ticketId, order: `o-${options.n ?? 0}`, amount: 25 };
  const detailsJson = JSON.stringify(details);
  const isDecided = status !== 'pending';
  return {
    _id: newId(),
    accountId,
    action: 'refund',
    summary: `Refund order o-${options.n ?? 0}`,
    detailsJson,
    detailsSha256: sha256(detailsJson),
    justification: 'Customer asked for a refund of a damaged item.',
    ticketId: options.ticketId,
    callbackUrl: options.callbackUrl ?? null,
    riskLevel: null,
    priority: null,
    agentName: null,
    metadataJson: null,
    requestSha256: sha256(`${detailsJson}:${options.n ?? 0}`),
    status,
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 24 * 60 * 60 * 1000),
    decidedAt: isDecided ? new Date(createdAt.getTime() + 60_000) : null,
    decisionNote: null,
    modifiedDetailsJson: null,
    decidedBy: isDecided ? { type: 'agent', id: '42', name: 'Ada Agent' } : null,
    policy: null,
  };
}

/** The decision record the gateway writes for an approval, with its callback due now (outbox). */
export function decisionDoc(approval: ApprovalDoc, decidedAt = new Date()): DecisionDoc {
  return {
    _id: approval._id,
    accountId: approval.accountId,
    outcome: 'approved',
    note: null,
    modifiedDetailsJson: null,
    decidedBy: { type: 'agent', id: '42', name: 'Ada Agent' },
    decisionRequestId: null,
    decidedAt,
    delivery: {
      state: approval.callbackUrl ? 'pending' : 'none',
      webhookId: `msg_${approval._id}`,
      callbackUrl: approval.callbackUrl,
      attempts: 0,
      nextAttemptAt: approval.callbackUrl ? decidedAt : null,
      lastError: null,
    },
  };
}

/** insertMany in batches (unordered), bounded by `timeMs`; returns how many were inserted. */
export async function insertBatches<T>(
  insert: (docs: T[]) => Promise<unknown>,
  total: number,
  make: (i: number) => T,
  options: { batch?: number; timeMs?: number } = {},
): Promise<{ inserted: number; ms: number }> {
  const batch = options.batch ?? 2_000;
  const started = performance.now();
  let inserted = 0;
  while (inserted < total && performance.now() - started < (options.timeMs ?? 120_000)) {
    const docs: T[] = [];
    for (let i = inserted; i < Math.min(total, inserted + batch); i++) docs.push(make(i));
    await insert(docs);
    inserted += docs.length;
  }
  return { inserted, ms: Math.round(performance.now() - started) };
}

export async function seedApprovals(conn: Connection, docs: ApprovalDoc[]) {
  const { Approval } = approvalModels(conn);
  await Approval.collection.insertMany(docs as never[], { ordered: false });
}

/** Approvals (and decisions) stored now, across accounts: the rows FerretDB SQLite scans. */
export async function collectionSizes(conn: Connection) {
  const { Approval, Decision } = approvalModels(conn);
  return {
    approvals: await Approval.collection.estimatedDocumentCount(),
    decisions: await Decision.collection.estimatedDocumentCount(),
  };
}

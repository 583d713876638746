import type { Approval, ParsedInboundRequest } from '@cheqpoint/shared';
import { ticketIdOf } from '@cheqpoint/shared';
import type { AccountDoc } from '../accounts/account.model.js';
import type { Principal } from '../accounts/accounts.service.js';
import { CallbackUrlError, checkCallbackUrl } from '../callbacks/callback-url.js';
import { AppError, validationError } from '../http/app-error.js';
import { newApprovalId, sha256Hex } from '../lib/ids.js';
import type { StoredPolicy } from '../policies/policies.repository.js';
import {
  evaluatePolicy,
  policyDecision,
  toPolicyVerdict,
  type PolicyEvaluation,
} from '../policies/policy.evaluator.js';
import type { ApprovalDoc } from './approval.model.js';
import { escalatesAt, toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { expireIfDue } from './expiry.js';
import { repairDecided, settle } from './settle.js';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** How long an identical keyless request returns the pending approval it already made. */
export const KEYLESS_DEDUPE_MS = 10 * 60 * 1000;

export type SubmitOptions = {
  requestSha256: string;
  idempotencyKey: string | null;
  /** The key's account when the caller has read it already (saves a read); otherwise it is read here. */
  account?: AccountDoc | null;
  /** The account's policy, when the caller started reading it already; otherwise it is read here. */
  policy?: Promise<StoredPolicy | null>;
};

/** The account's configuration of the action (actions.json), read alongside the policy. */
const actionConfigOf = (ctx: ApprovalsContext, accountId: string, action: string) =>
  ctx.actions.configFor(accountId, action);

type Built = { doc: ApprovalDoc; evaluation: PolicyEvaluation; stored: StoredPolicy | null };

/** The approval a request asks for, under the account's policy (no policy: a person decides, no bounds). */
async function buildApproval(
  ctx: ApprovalsContext,
  principal: Principal,
  input: ParsedInboundRequest,
  options: SubmitOptions,
): Promise<Built> {
  const account = options.account ?? (await ctx.accounts.getAccount(principal.accountId));
  if (!account) throw new AppError('unauthorized', 401, 'The account of this key no longer exists');
  const rawCallback = input.callbackUrl ?? input.webhookUrl;
  let callbackUrl: string | null = null;
  if (rawCallback !== undefined) {
    try {
      callbackUrl = await checkCallbackUrl(rawCallback, ctx.callbackPolicy);
    } catch (err) {
      if (!(err instanceof CallbackUrlError)) throw err;
      const path = input.callbackUrl !== undefined ? 'callbackUrl' : 'webhookUrl';
      throw validationError([{ path, message: `${path} ${err.message}` }]);
    }
  }
  const [storedPolicy, actionConfig] = await Promise.all([
    options.policy ?? ctx.policies.getPolicy(principal.accountId),
    actionConfigOf(ctx, principal.accountId, input.action),
  ]);
  const stored = storedPolicy ?? null;
  const evaluation = evaluatePolicy(stored?.policy ?? null, { action: input.action, details: input.details });
  const ttlSeconds = evaluation.expiresInSeconds ?? account.approvalTtlSeconds;
  const now = ctx.clock.now();
  const detailsJson = JSON.stringify(input.details);
  const doc: ApprovalDoc = {
    _id: newApprovalId(),
    accountId: principal.accountId,
    action: input.action,
    summary: input.summary,
    detailsJson,
    detailsSha256: sha256Hex(detailsJson),
    justification: input.justification ?? null,
    ticketId: ticketIdOf(input.details),
    callbackUrl,
    riskLevel: input.riskLevel ?? null,
    priority: input.priority ?? null,
    agentName: input.agentName ?? null,
    metadataJson: input.metadata ? JSON.stringify(input.metadata) : null,
    requestSha256: options.requestSha256,
    status: 'pending',
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    decidedAt: null,
    decisionNote: null,
    modifiedDetailsJson: null,
    decidedBy: null,
    policy: stored
      ? { ...toPolicyVerdict(evaluation, stored.version), editableFields: evaluation.editableFields }
      : null,
    // Only with a configuration, so every other approval is stored exactly as before.
    ...(actionConfig ? { actionJson: JSON.stringify(actionConfig) } : {}),
  };
  return { doc, evaluation, stored };
}

/**
 * The escalation time for its pending-set entry and its change, only when its rule has one: entries and
 * changes of every other approval stay exactly as they were.
 */
const escalationOf = (doc: ApprovalDoc) => {
  const at = escalatesAt(doc);
  return at ? { escalatesAt: at } : {};
};

/**
 * Stores a new approval: first what finds it (its pending-set entry and its ticket's next slot), then
 * the approval itself, so a crash in between leaves at most an entry that readers skip, never an
 * approval that the queue, the sidebar or the expiry sweep cannot see.
 */
async function store(ctx: ApprovalsContext, doc: ApprovalDoc) {
  await Promise.all([
    ctx.pending.insertDurable({
      _id: doc._id,
      accountId: doc.accountId,
      ticketId: doc.ticketId,
      action: doc.action,
      createdAt: doc.createdAt,
      expiresAt: doc.expiresAt,
      ...escalationOf(doc),
    }),
    doc.ticketId ? ctx.tickets.claim(doc.accountId, doc.ticketId, doc._id, doc.createdAt) : null,
  ]);
  await ctx.store.insertApproval(doc);
}

/**
 * The rest of an intake once the approval is stored: its first audit events (written once, however
 * many requests get here), the change that tells the other processes, then the policy's decision. Safe
 * to run again for the same approval: event positions and the decision insert arbitrate.
 */
async function completeIntake(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  principal: Principal,
  built: Pick<Built, 'evaluation' | 'stored'>,
  idempotencyId: string,
): Promise<Approval> {
  const { evaluation, stored } = built;
  await Promise.all([
    ctx.audit.recordIntake({
      ...doc,
      keyId: principal.keyId,
      policy: stored
        ? {
            ...toPolicyVerdict(evaluation, stored.version),
            policySha256: stored.sha256,
            expiresInSeconds: evaluation.expiresInSeconds,
          }
        : null,
    }),
    ctx.feed.append({
      kind: 'created',
      approvalId: doc._id,
      accountId: doc.accountId,
      ticketId: doc.ticketId,
      action: doc.action,
      createdAt: doc.createdAt,
      expiresAt: doc.expiresAt,
      ...escalationOf(doc),
      idempotencyId,
    }),
  ]);
  const byPolicy = stored ? policyDecision(evaluation) : null;
  if (!byPolicy) return toApprovalView(doc);
  const settled = await settle(ctx, doc, { ...byPolicy, modifiedDetailsJson: null, decisionRequestId: null });
  return toApprovalView(doc, settled.decision);
}

/**
 * Records an approval request. With an Idempotency-Key, the same key and body return the same approval
 * (another body: 422). Without one, an identical pending request (same action, ticket and details) made
 * within 10 minutes returns the approval it already made. The idempotency record's unique `_id` decides
 * which of several identical requests creates the approval.
 */
export async function submitApproval(
  ctx: ApprovalsContext,
  principal: Principal,
  input: ParsedInboundRequest,
  options: SubmitOptions,
): Promise<{ approval: Approval; isNew: boolean }> {
  const built = await buildApproval(ctx, principal, input, options);
  const { doc } = built;
  const isKeyed = options.idempotencyKey !== null;
  const recordId = isKeyed
    ? `${principal.accountId}:key:${options.idempotencyKey}`
    : `${principal.accountId}:auto:${sha256Hex(`${doc.action}\n${doc.ticketId ?? ''}\n${doc.detailsJson}`)}`;
  const fingerprint = isKeyed ? options.requestSha256 : doc.detailsSha256;

  for (let attempt = 0; attempt < 4; attempt++) {
    const now = ctx.clock.now();
    const isClaimed = await ctx.store.insertIdempotency({
      _id: recordId,
      accountId: principal.accountId,
      kind: isKeyed ? 'key' : 'auto',
      requestSha256: fingerprint,
      approvalId: doc._id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (isKeyed ? IDEMPOTENCY_RETENTION_MS : KEYLESS_DEDUPE_MS)),
    });
    if (isClaimed) {
      await store(ctx, doc);
      ctx.onCreated?.(doc);
      return { approval: await completeIntake(ctx, doc, principal, built, recordId), isNew: true };
    }
    const record = await ctx.store.findIdempotency(recordId);
    if (!record) continue;
    if (record.expiresAt <= now) {
      await ctx.store.releaseIdempotency(recordId, record.approvalId);
      continue;
    }
    if (record.requestSha256 !== fingerprint) {
      throw new AppError(
        'idempotency-key-reused',
        422,
        'This Idempotency-Key was already used with a different request body',
      );
    }
    let found = await ctx.store.findApproval(principal.accountId, record.approvalId);
    if (!found) {
      // The first request claimed the key but its approval is not stored (yet, or it crashed): store it.
      await store(ctx, { ...doc, _id: record.approvalId });
      found = await ctx.store.findApproval(principal.accountId, record.approvalId);
    }
    if (!found) continue;
    const existing = toApprovalView(found.doc, await expireIfDue(ctx, found.doc, found.decision));
    if (!isKeyed && existing.status !== 'pending') {
      await ctx.store.releaseIdempotency(recordId, record.approvalId);
      continue;
    }
    if (existing.status !== 'pending') {
      if (found.decision) await repairDecided(ctx, found.doc, found.decision);
      return { approval: existing, isNew: false };
    }
    // Still pending: the first request may have stopped between storing the approval and finishing its
    // intake (a crash, or a lost acknowledgement answered 503). Finish it, once, as it would have: its
    // first audit events, and the policy's decision when the same policy version is in force (a policy
    // changed since leaves the approval to a person).
    const isSamePolicy = built.stored !== null && found.doc.policy?.policyVersion === built.stored.version;
    const completed = await completeIntake(
      ctx,
      found.doc,
      principal,
      { evaluation: built.evaluation, stored: isSamePolicy ? built.stored : null },
      recordId,
    );
    return { approval: completed, isNew: false };
  }
  throw new AppError('idempotency-key-in-use', 409, 'The same request is being processed; retry shortly', {
    headers: { 'Retry-After': '1' },
  });
}

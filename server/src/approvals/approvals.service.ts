import type {
  Approval,
  ApprovalListQuery,
  DecidedBy,
  ParsedDecisionRequest,
  ParsedInboundRequest,
} from '@cheqpoint/shared';
import { ticketIdOf } from '@cheqpoint/shared';
import type { AccountDoc } from '../accounts/account.model.js';
import type { AccountsService, Principal } from '../accounts/accounts.service.js';
import { CallbackUrlError, checkCallbackUrl, type CallbackUrlPolicy } from '../callbacks/callback-url.js';
import type { AuditActor, AuditEventType } from '../audit/audit-event.model.js';
import { AppError, notFound, validationError } from '../http/app-error.js';
import { assertModifiedDetailsAllowed } from '../policies/edit-limits.js';
import type { PoliciesRepository, StoredPolicy } from '../policies/policies.repository.js';
import { evaluatePolicy, policyDecision, toPolicyVerdict } from '../policies/policy.evaluator.js';
import type { Clock } from '../lib/clock.js';
import { newApprovalId, sha256Hex } from '../lib/ids.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsRepository } from './approvals.repository.js';
import type { DecisionWaiter, WaitOutcome } from './decision-waiter.js';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** How long an identical keyless request returns the pending approval it already made. */
export const KEYLESS_DEDUPE_MS = 10 * 60 * 1000;

export type ApprovalsDeps = {
  repository: ApprovalsRepository;
  accounts: AccountsService;
  waiter: DecisionWaiter<DecisionDoc>;
  clock: Clock;
  callbackPolicy: CallbackUrlPolicy;
  /** Test-only: pause between reading an approval and writing its decision (race tests). */
  decideDelayMs?: number;
  /** Per-account rules that settle requests at intake and bound what a person may modify. */
  policies?: Pick<PoliciesRepository, 'getPolicy'>;
  /** Appends to an approval's audit trail. Throws only for `{ exactly }` places (the intake's first events, which a retry writes); other failures are logged by the adapter. */
  recordEvent?: RecordEvent;
  /** Runs once for the winning decision of an approval, whoever made it (agent, policy, expiry). */
  onDecided?: (decision: DecisionDoc, approval: ApprovalDoc) => void | Promise<void>;
  /**
   * Where an approval's missing `decided`/`expired` event would go (the next free position), or null
   * when it has one. Used on replays to repair a decision whose later steps were lost (a crash, or a
   * lost acknowledgement after the decision insert landed).
   */
  missingDecisionEvent?: (approval: Pick<ApprovalDoc, '_id' | 'accountId'>) => Promise<number | null>;
  /** Runs once when a request stores a new approval (not for replays or deduplicated requests). */
  onCreated?: (approval: ApprovalDoc) => void;
};

/** What settles an approval; agent, policy and expiry outcomes all go through the same insert. */
export type Settlement = Pick<
  DecisionDoc,
  'outcome' | 'note' | 'modifiedDetailsJson' | 'decidedBy' | 'decisionRequestId'
>;

/** "24 h", "90 min", "45 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Audit trail writer, see server/src/audit/audit.service.ts appendEvent. */
export type RecordEvent = (
  approval: Pick<ApprovalDoc, '_id' | 'accountId'>,
  type: AuditEventType,
  actor: AuditActor,
  data: Record<string, unknown>,
  at: Date,
  /**
   * Where the event goes in the approval's chain: a number is where it is expected (a hint: the writer
   * finds the next free position); `{ exactly }` writes it at that position or, when taken, not at all.
   */
  place?: number | { exactly: number },
) => Promise<void>;

/** The audit actor behind a decision. */
function actorOf(decidedBy: DecidedBy): AuditActor {
  if (decidedBy.type === 'agent') return { type: 'agent', id: decidedBy.id, name: decidedBy.name };
  if (decidedBy.type === 'policy') return { type: 'policy', id: decidedBy.rule };
  return { type: 'system', name: 'expiry' };
}

export type SubmitOptions = {
  requestSha256: string;
  idempotencyKey: string | null;
  /** The key's account when the caller has read it already (saves a read); otherwise it is read here. */
  account?: AccountDoc | null;
};

export function approvalsService(deps: ApprovalsDeps) {
  const { repository, waiter, clock } = deps;
  const recordEvent: RecordEvent = deps.recordEvent ?? (async () => {});

  /** The account's policy on this request (no policy: a person decides, no bounds). */
  async function evaluate(accountId: string, action: string, details: Record<string, unknown>) {
    const stored = (await deps.policies?.getPolicy(accountId)) ?? null;
    return { stored, evaluation: evaluatePolicy(stored?.policy ?? null, { action, details }) };
  }

  async function buildApproval(
    principal: Principal,
    input: ParsedInboundRequest,
    approvalId: string,
    options: SubmitOptions,
  ) {
    const account = options.account ?? (await deps.accounts.getAccount(principal.accountId));
    if (!account) throw new AppError('unauthorized', 401, 'The account of this key no longer exists');
    const rawCallback = input.callbackUrl ?? input.webhookUrl;
    let callbackUrl: string | null = null;
    if (rawCallback !== undefined) {
      try {
        callbackUrl = await checkCallbackUrl(rawCallback, deps.callbackPolicy);
      } catch (err) {
        if (!(err instanceof CallbackUrlError)) throw err;
        const path = input.callbackUrl !== undefined ? 'callbackUrl' : 'webhookUrl';
        throw validationError([{ path, message: `${path} ${err.message}` }]);
      }
    }
    const { stored, evaluation } = await evaluate(principal.accountId, input.action, input.details);
    const ttlSeconds = evaluation.expiresInSeconds ?? account.approvalTtlSeconds;
    const now = clock.now();
    const detailsJson = JSON.stringify(input.details);
    const doc: ApprovalDoc = {
      _id: approvalId,
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
    };
    return { doc, evaluation, stored };
  }

  /**
   * The one way an approval is decided: insert its decision record. The first insert wins any race;
   * the winner denormalises it, releases waiting calls and runs `onDecided`. Returns the record in force.
   */
  async function settle(
    doc: ApprovalDoc,
    settlement: Settlement,
  ): Promise<{ isWinner: boolean; decision: DecisionDoc }> {
    const decidedAt = clock.now();
    const decision: DecisionDoc = {
      _id: doc._id,
      accountId: doc.accountId,
      ...settlement,
      decidedAt,
      delivery: {
        state: doc.callbackUrl ? 'pending' : 'none',
        webhookId: `msg_${doc._id}`,
        callbackUrl: doc.callbackUrl,
        attempts: 0,
        nextAttemptAt: doc.callbackUrl ? decidedAt : null,
        lastError: null,
      },
    };
    if (!(await repository.insertDecision(decision))) {
      const winner = await repository.findDecision(doc.accountId, doc._id);
      if (!winner) throw new AppError('already-decided', 409, 'This approval was decided meanwhile');
      return { isWinner: false, decision: winner };
    }
    // The decision record is the truth from here on: release waiting calls with it at once, then
    // denormalise it onto the approval (a reader that comes first repairs the status from the record).
    waiter.publish(doc._id, decision);
    await repository.markDecided(decision);
    // After `requested` and, when a policy was in force, `policy_evaluated`.
    await recordDecisionEvent(doc, decision, doc.policy ? 3 : 2);
    await deps.onDecided?.(decision, doc);
    return { isWinner: true, decision };
  }

  function recordDecisionEvent(doc: ApprovalDoc, decision: DecisionDoc, place: number | { exactly: number }) {
    return recordEvent(
      doc,
      decision.decidedBy.type === 'expiry' ? 'expired' : 'decided',
      actorOf(decision.decidedBy),
      {
        outcome: decision.outcome,
        note: decision.note,
        modifiedDetailsSha256: decision.modifiedDetailsJson ? sha256Hex(decision.modifiedDetailsJson) : null,
        decisionRequestId: decision.decisionRequestId,
      },
      decision.decidedAt,
      place,
    );
  }

  /**
   * On a replay of a decided approval: brings back what the deciding request may not have finished (its
   * status on the approval and its audit event). At a fixed position, so concurrent replays write it once.
   */
  async function repairDecided(doc: ApprovalDoc, decision: DecisionDoc) {
    if (doc.status === 'pending') await repository.markDecided(decision);
    const next = await deps.missingDecisionEvent?.(doc);
    if (next !== undefined && next !== null) await recordDecisionEvent(doc, decision, { exactly: next });
  }

  /** Settles a pending approval past its expiry as rejected by expiry; returns the decision in force. */
  async function expireIfDue(doc: ApprovalDoc, decision: DecisionDoc | null): Promise<DecisionDoc | null> {
    if (decision || doc.status !== 'pending' || doc.expiresAt > clock.now()) return decision;
    const lifetime = formatDuration(doc.expiresAt.getTime() - doc.createdAt.getTime());
    const settled = await settle(doc, {
      outcome: 'rejected',
      note: `Expired: nobody decided within ${lifetime}.`,
      modifiedDetailsJson: null,
      decidedBy: { type: 'expiry' },
      decisionRequestId: null,
    });
    return settled.decision;
  }

  /**
   * The rest of an intake once the approval is stored: its `requested` and `policy_evaluated` events at
   * their fixed places (written once, however many requests get here), then the policy's decision. Safe
   * to run again for the same approval: the events' positions and the decision insert arbitrate.
   */
  async function completeIntake(
    doc: ApprovalDoc,
    principal: Principal,
    evaluation: ReturnType<typeof evaluatePolicy>,
    stored: StoredPolicy | null,
  ): Promise<Approval> {
    await recordEvent(
      doc,
      'requested',
      { type: 'flow', id: principal.keyId },
      {
        action: doc.action,
        ticketId: doc.ticketId,
        detailsSha256: doc.detailsSha256,
        requestSha256: doc.requestSha256,
      },
      doc.createdAt,
      { exactly: 1 },
    );
    if (!stored) return toApprovalView(doc);
    await recordEvent(
      doc,
      'policy_evaluated',
      { type: 'policy' },
      {
        ...toPolicyVerdict(evaluation, stored.version),
        policySha256: stored.sha256,
        expiresInSeconds: evaluation.expiresInSeconds,
      },
      doc.createdAt,
      { exactly: 2 },
    );
    const byPolicy = policyDecision(evaluation);
    if (!byPolicy) return toApprovalView(doc);
    const settled = await settle(doc, { ...byPolicy, modifiedDetailsJson: null, decisionRequestId: null });
    return toApprovalView(doc, settled.decision);
  }

  async function readView(accountId: string, approvalId: string): Promise<Approval | null> {
    const found = await repository.findApproval(accountId, approvalId);
    if (!found) return null;
    return toApprovalView(found.doc, await expireIfDue(found.doc, found.decision));
  }

  return {
    /**
     * Records an approval request. With an Idempotency-Key, the same key and body return the same
     * approval (another body: 422). Without one, an identical pending request (same action, ticket and
     * details) made within 10 minutes returns the approval it already made.
     */
    async submit(principal: Principal, input: ParsedInboundRequest, options: SubmitOptions) {
      const approvalId = newApprovalId();
      const { doc, evaluation, stored } = await buildApproval(principal, input, approvalId, options);
      const isKeyed = options.idempotencyKey !== null;
      const recordId = isKeyed
        ? `${principal.accountId}:key:${options.idempotencyKey}`
        : `${principal.accountId}:auto:${sha256Hex(`${doc.action}\n${doc.ticketId ?? ''}\n${doc.detailsJson}`)}`;
      const fingerprint = isKeyed ? options.requestSha256 : doc.detailsSha256;

      for (let attempt = 0; attempt < 4; attempt++) {
        const now = clock.now();
        const isClaimed = await repository.insertIdempotency({
          _id: recordId,
          accountId: principal.accountId,
          kind: isKeyed ? 'key' : 'auto',
          requestSha256: fingerprint,
          approvalId,
          createdAt: now,
          expiresAt: new Date(now.getTime() + (isKeyed ? IDEMPOTENCY_RETENTION_MS : KEYLESS_DEDUPE_MS)),
        });
        if (isClaimed) {
          await repository.insertApproval(doc);
          deps.onCreated?.(doc);
          return { approval: await completeIntake(doc, principal, evaluation, stored), isNew: true };
        }
        const record = await repository.findIdempotency(recordId);
        if (!record) continue;
        if (record.expiresAt <= now) {
          await repository.releaseIdempotency(recordId, record.approvalId);
          continue;
        }
        if (record.requestSha256 !== fingerprint) {
          throw new AppError(
            'idempotency-key-reused',
            422,
            'This Idempotency-Key was already used with a different request body',
          );
        }
        let found = await repository.findApproval(principal.accountId, record.approvalId);
        if (!found) {
          // The first request claimed the key but its approval is not stored (yet, or it crashed): store it.
          await repository.insertApproval({ ...doc, _id: record.approvalId });
          found = await repository.findApproval(principal.accountId, record.approvalId);
        }
        if (!found) continue;
        const existing = toApprovalView(found.doc, await expireIfDue(found.doc, found.decision));
        if (!isKeyed && existing.status !== 'pending') {
          await repository.releaseIdempotency(recordId, record.approvalId);
          continue;
        }
        if (existing.status !== 'pending') {
          const decision = found.decision ?? (await repository.findDecision(principal.accountId, found.doc._id));
          if (decision) await repairDecided(found.doc, decision);
          return { approval: existing, isNew: false };
        }
        // Still pending: the first request may have stopped between storing the approval and finishing
        // its intake (a crash, or a lost acknowledgement answered 503). Finish it, once, as it would have:
        // its first audit events, and the policy's decision when the same policy version is in force (a
        // policy changed since leaves the approval to a person).
        const isSamePolicy = stored !== null && found.doc.policy?.policyVersion === stored.version;
        const completed = await completeIntake(found.doc, principal, evaluation, isSamePolicy ? stored : null);
        return { approval: completed, isNew: false };
      }
      throw new AppError('idempotency-key-in-use', 409, 'The same request is being processed; retry shortly', {
        headers: { 'Retry-After': '1' },
      });
    },

    async get(accountId: string, approvalId: string): Promise<Approval> {
      const view = await readView(accountId, approvalId);
      if (!view) throw notFound();
      return view;
    },

    /**
     * Holds until the approval is decided or `seconds` pass, counted from `startedAt` (when the request
     * arrived, so a slow database does not stretch the wait); returns its state then. A decision made in
     * this process arrives with its release; otherwise one read by key (the decision record) settles the
     * answer, so it comes within about one database round trip of the deadline.
     */
    async waitForDecision(
      accountId: string,
      approvalId: string,
      seconds: number,
      signal?: AbortSignal,
      startedAt: number = Date.now(),
    ): Promise<Approval> {
      const waitMs = seconds * 1000 - (Date.now() - startedAt);
      if (waitMs <= 0 || !waiter.hasRoom) return this.get(accountId, approvalId);
      // Subscribe before reading, so a decision landing in between is not missed.
      const subscription = waiter.subscribe(approvalId, waitMs, signal);
      let doc: ApprovalDoc;
      let outcome: WaitOutcome;
      try {
        const found = await repository.findApproval(accountId, approvalId);
        if (!found) throw notFound();
        doc = found.doc;
        const current = await expireIfDue(found.doc, found.decision);
        if (current) return toApprovalView(found.doc, current);
        outcome = await subscription.done;
      } finally {
        subscription.cancel();
      }
      // The caller went away: nobody reads this answer, so spend no database read on it.
      if (outcome === 'aborted' && signal?.aborted) return toApprovalView(doc);
      // Released in this process: the decision came with the signal. Otherwise one read by key.
      const carried = subscription.payload();
      const decision =
        carried && carried.accountId === accountId ? carried : await repository.findDecision(accountId, approvalId);
      return toApprovalView(doc, await expireIfDue(doc, decision));
    },

    async list(accountId: string, query: ApprovalListQuery): Promise<Approval[]> {
      const { docs, decisions } = query.ticketId
        ? await repository.listForTicket(accountId, query.ticketId)
        : await repository.listByStatus(accountId, query.status ?? 'pending', query.limit, query.action);
      return docs
        .map((doc) => toApprovalView(doc, decisions.get(doc._id)))
        .filter((a) =>
          query.ticketId
            ? (!query.status || a.status === query.status) && (!query.action || a.action === query.action)
            : true,
        )
        .slice(0, query.ticketId ? 200 : query.limit);
    },

    /**
     * An agent's decision. The first decision record inserted wins; a later one gets 409 with the
     * current approval, except a retry of the winner (same Idempotency-Key), which replays it.
     */
    async decide(
      principal: Principal,
      approvalId: string,
      body: ParsedDecisionRequest,
      decisionRequestId: string | null,
    ) {
      const found = await repository.findApproval(principal.accountId, approvalId);
      if (!found) throw notFound();
      const current = await expireIfDue(found.doc, found.decision);
      if (current) return conflictOrReplay(found.doc, current, decisionRequestId);
      if (body.modifiedDetails) {
        const details = JSON.parse(found.doc.detailsJson) as Record<string, unknown>;
        const { evaluation } = await evaluate(principal.accountId, found.doc.action, details);
        assertModifiedDetailsAllowed(evaluation.editableFields, details, body.modifiedDetails);
      }
      if (deps.decideDelayMs) await new Promise((r) => setTimeout(r, deps.decideDelayMs));

      const settled = await settle(found.doc, {
        outcome: body.decision === 'approve' ? 'approved' : 'rejected',
        note: body.note?.trim() ? body.note.trim() : null,
        modifiedDetailsJson: body.modifiedDetails ? JSON.stringify(body.modifiedDetails) : null,
        decidedBy: {
          type: 'agent',
          id: body.agent.id,
          name: body.agent.name,
          ...(body.agent.email ? { email: body.agent.email } : {}),
        },
        decisionRequestId,
      });
      if (!settled.isWinner) return conflictOrReplay(found.doc, settled.decision, decisionRequestId);
      return { approval: toApprovalView(found.doc, settled.decision), isReplay: false };
    },

    /** Expires every pending approval past its expiry (the sweeper; safe with several processes). */
    async expireDue(limit = 500): Promise<number> {
      let expired = 0;
      for (const doc of await repository.findExpiredPending(clock.now(), limit)) {
        const existing = await repository.findDecision(doc.accountId, doc._id);
        if (existing) {
          await repairDecided(doc, existing);
          continue;
        }
        const decision = await expireIfDue(doc, null);
        if (decision?.decidedBy.type === 'expiry') expired++;
      }
      return expired;
    },
  };

  async function conflictOrReplay(doc: ApprovalDoc, decision: DecisionDoc, decisionRequestId: string | null) {
    const approval = toApprovalView(doc, decision);
    if (decisionRequestId !== null && decision.decisionRequestId === decisionRequestId) {
      await repairDecided(doc, decision);
      return { approval, isReplay: true };
    }
    const by = decision.decidedBy.type === 'agent' ? decision.decidedBy.name : decision.decidedBy.type;
    throw new AppError('already-decided', 409, `This approval was already ${decision.outcome} (by ${by})`, {
      body: { approval },
    });
  }
}
export type ApprovalsService = ReturnType<typeof approvalsService>;

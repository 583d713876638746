import type { Approval, ApprovalListQuery, ParsedDecisionRequest, ParsedInboundRequest } from '@cheqpoint/shared';
import { ticketIdOf } from '@cheqpoint/shared';
import type { AccountsService, Principal } from '../accounts/accounts.service.js';
import { CallbackUrlError, checkCallbackUrl, type CallbackUrlPolicy } from '../callbacks/callback-url.js';
import { AppError, notFound, validationError } from '../http/app-error.js';
import type { Clock } from '../lib/clock.js';
import { newApprovalId, sha256Hex } from '../lib/ids.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsRepository } from './approvals.repository.js';
import type { DecisionWaiter } from './decision-waiter.js';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** How long an identical keyless request returns the pending approval it already made. */
export const KEYLESS_DEDUPE_MS = 10 * 60 * 1000;

export type ApprovalsDeps = {
  repository: ApprovalsRepository;
  accounts: AccountsService;
  waiter: DecisionWaiter;
  clock: Clock;
  callbackPolicy: CallbackUrlPolicy;
  /** Test-only: pause between reading an approval and writing its decision (race tests). */
  decideDelayMs?: number;
};

export type SubmitOptions = { requestSha256: string; idempotencyKey: string | null };

export function approvalsService(deps: ApprovalsDeps) {
  const { repository, waiter, clock } = deps;

  async function buildApproval(
    principal: Principal,
    input: ParsedInboundRequest,
    approvalId: string,
    requestSha256: string,
  ) {
    const account = await deps.accounts.getAccount(principal.accountId);
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
      requestSha256,
      status: 'pending',
      createdAt: now,
      expiresAt: new Date(now.getTime() + account.approvalTtlSeconds * 1000),
      decidedAt: null,
      decisionNote: null,
      modifiedDetailsJson: null,
      decidedBy: null,
    };
    return { doc, account };
  }

  async function readView(accountId: string, approvalId: string): Promise<Approval | null> {
    const found = await repository.findApproval(accountId, approvalId);
    return found ? toApprovalView(found.doc, found.decision) : null;
  }

  return {
    /**
     * Records an approval request. With an Idempotency-Key, the same key and body return the same
     * approval (another body: 422). Without one, an identical pending request (same action, ticket and
     * details) made within 10 minutes returns the approval it already made.
     */
    async submit(principal: Principal, input: ParsedInboundRequest, options: SubmitOptions) {
      const approvalId = newApprovalId();
      const { doc } = await buildApproval(principal, input, approvalId, options.requestSha256);
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
          return { approval: toApprovalView(doc), isNew: true };
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
        let existing = await readView(principal.accountId, record.approvalId);
        if (!existing) {
          // The first request claimed the key but its approval is not stored (yet, or it crashed): store it.
          await repository.insertApproval({ ...doc, _id: record.approvalId });
          existing = await readView(principal.accountId, record.approvalId);
        }
        if (!existing) continue;
        if (!isKeyed && existing.status !== 'pending') {
          await repository.releaseIdempotency(recordId, record.approvalId);
          continue;
        }
        return { approval: existing, isNew: false };
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

    /** Holds until the approval is decided or `seconds` pass; returns its state then. */
    async waitForDecision(
      accountId: string,
      approvalId: string,
      seconds: number,
      signal?: AbortSignal,
    ): Promise<Approval> {
      if (seconds <= 0 || !waiter.hasRoom) return this.get(accountId, approvalId);
      const subscription = waiter.subscribe(approvalId, seconds * 1000, signal);
      try {
        const current = await this.get(accountId, approvalId);
        if (current.status !== 'pending') return current;
        await subscription.done;
      } finally {
        subscription.cancel();
      }
      return this.get(accountId, approvalId);
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
      if (found.decision) return conflictOrReplay(found.doc, found.decision, decisionRequestId);
      if (deps.decideDelayMs) await new Promise((r) => setTimeout(r, deps.decideDelayMs));

      const decision: DecisionDoc = {
        _id: approvalId,
        accountId: principal.accountId,
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
        decidedAt: clock.now(),
        delivery: {
          state: found.doc.callbackUrl ? 'pending' : 'none',
          webhookId: `msg_${approvalId}`,
          callbackUrl: found.doc.callbackUrl,
          attempts: 0,
          nextAttemptAt: found.doc.callbackUrl ? clock.now() : null,
          lastError: null,
        },
      };
      if (!(await repository.insertDecision(decision))) {
        const winner = await repository.findDecision(principal.accountId, approvalId);
        if (!winner) throw new AppError('already-decided', 409, 'This approval was decided meanwhile');
        return conflictOrReplay(found.doc, winner, decisionRequestId);
      }
      await repository.markDecided(decision);
      waiter.publish(approvalId);
      return { approval: toApprovalView(found.doc, decision), isReplay: false };
    },
  };

  function conflictOrReplay(doc: ApprovalDoc, decision: DecisionDoc, decisionRequestId: string | null) {
    const approval = toApprovalView(doc, decision);
    if (decisionRequestId !== null && decision.decisionRequestId === decisionRequestId) {
      return { approval, isReplay: true };
    }
    const by = decision.decidedBy.type === 'agent' ? decision.decidedBy.name : decision.decidedBy.type;
    throw new AppError('already-decided', 409, `This approval was already ${decision.outcome} (by ${by})`, {
      body: { approval },
    });
  }
}
export type ApprovalsService = ReturnType<typeof approvalsService>;

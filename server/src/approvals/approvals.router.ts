import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  APPROVAL_ID_PATTERN,
  ApprovalListQuerySchema,
  DecisionRequestSchema,
  InboundRequestSchema,
  MAX_LIST_WAIT_SECONDS,
  type Approval,
} from '@cheqpoint/shared';
import type { AccountsService } from '../accounts/accounts.service.js';
import { principalOf, requireKey } from '../accounts/auth.middleware.js';
import { notFound } from '../http/app-error.js';
import type { RequestLimits } from '../http/limits.js';
import { sendJson } from '../http/send-json.js';
import { rawBodyOf, requestSha256 } from '../http/json-body.js';
import { parseIdempotencyKey, parseWait, receivedAtOf } from '../http/request-options.js';
import { parseOrThrow } from '../http/validate.js';
import { SESSION_HEADER } from '../zendesk/agent-sessions.js';
import type { VerifiedDeciders } from '../zendesk/verified-decider.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyZendeskSignature } from '../zendesk/verify-signature.js';
import type { ApprovalsService } from './approvals.js';

/** The only query parameter of the inbound and status calls. */
const WaitQuery = z.strictObject({ wait: z.unknown().optional() });

/** Path ids that cannot exist answer exactly like unknown ones. */
function approvalIdParam(req: Request): string {
  const id = req.params['approvalId'];
  if (typeof id !== 'string' || !APPROVAL_ID_PATTERN.test(id)) throw notFound();
  return id;
}

/** An AbortSignal that fires when the client goes away (not once the answer is sent: nobody listens then). */
function disconnectSignal(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.on('close', () => {
    if (!res.writableEnded && req.destroyed) controller.abort();
  });
  return controller.signal;
}

/** 200 when decided; 202 + Location while pending. */
function sendApproval(res: Response, approval: Approval, isPreferred: boolean, seconds: number) {
  if (isPreferred) res.setHeader('Preference-Applied', `wait=${seconds}`);
  if (approval.status === 'pending') {
    res.location(`/api/approvals/${approval.approvalId}`);
    sendJson(res, 202, approval);
  } else {
    sendJson(res, 200, approval);
  }
}

export function approvalsRouter(deps: {
  accounts: AccountsService;
  approvals: ApprovalsService;
  limits?: RequestLimits | null;
  /** Who decides (Zendesk-verified where the account asks for it); without it, the body's agent, unverified. */
  deciders?: VerifiedDeciders | null;
}) {
  const { accounts, approvals, limits, deciders } = deps;
  const router = Router();

  router.post('/api/webhooks/inbound', requireKey(accounts, ['flow'], limits), async (req, res) => {
    const principal = principalOf(req);
    parseOrThrow(WaitQuery, req.query);
    // The account's policy is read alongside its account (both by key), not after it.
    const policy = approvals.readPolicy(principal.accountId);
    policy.catch(() => {}); // awaited by submit; a request refused before then must not leave it unhandled
    const account = await accounts.getAccount(principal.accountId);
    if (account?.zendeskWebhookSecret) {
      verifyZendeskSignature({
        secret: account.zendeskWebhookSecret,
        signature: req.get(SIGNATURE_HEADER),
        timestamp: req.get(TIMESTAMP_HEADER),
        rawBody: rawBodyOf(req),
        now: new Date(),
      });
    }
    const wait = parseWait(req, account?.defaultWaitSeconds ?? 8);
    const idempotencyKey = parseIdempotencyKey(req);
    const input = parseOrThrow(InboundRequestSchema, req.body);
    const { approval } = await approvals.submit(principal, input, {
      requestSha256: requestSha256(req),
      idempotencyKey,
      account,
      policy,
    });
    // The wait counts from the request's arrival; when intake alone used it up, answer with what we have.
    const startedAt = receivedAtOf(res);
    const final =
      approval.status === 'pending' && wait.seconds * 1000 > Date.now() - startedAt
        ? await approvals.waitForDecision(
            principal.accountId,
            approval.approvalId,
            wait.seconds,
            disconnectSignal(req, res),
            startedAt,
          )
        : approval;
    // The flow learns the decision now (a `when: late` action then stays the flow's own to carry out).
    sendApproval(res, await approvals.answerRequester(final), wait.isPreferred, wait.seconds);
  });

  router.get('/api/approvals/:approvalId', requireKey(accounts, ['flow', 'agent'], limits), async (req, res) => {
    const principal = principalOf(req);
    const approvalId = approvalIdParam(req);
    parseOrThrow(WaitQuery, req.query);
    const wait = parseWait(req, 0);
    const approval =
      wait.seconds > 0
        ? await approvals.waitForDecision(
            principal.accountId,
            approvalId,
            wait.seconds,
            disconnectSignal(req, res),
            receivedAtOf(res),
          )
        : await approvals.get(principal.accountId, approvalId);
    // Only the flow's key is the requester: the Zendesk app reading a decision tells no AI agent.
    const answer = principal.scope === 'flow' ? await approvals.answerRequester(approval) : approval;
    if (wait.isPreferred) res.setHeader('Preference-Applied', `wait=${wait.seconds}`);
    sendJson(res, 200, answer);
  });

  router.get('/api/agent/approvals', requireKey(accounts, ['agent'], limits), async (req, res) => {
    const principal = principalOf(req);
    const { since, wait: _wait, ...query } = parseOrThrow(ApprovalListQuerySchema, req.query);
    const wait = parseWait(req, 0, MAX_LIST_WAIT_SECONDS);
    const list = await approvals.listLive(principal.accountId, query, {
      since,
      seconds: wait.seconds,
      signal: disconnectSignal(req, res),
      startedAt: receivedAtOf(res),
    });
    if (wait.isPreferred) res.setHeader('Preference-Applied', `wait=${wait.seconds}`);
    res.status(200).json(list);
  });

  router.post(
    '/api/agent/approvals/:approvalId/decision',
    requireKey(accounts, ['agent'], limits),
    async (req, res) => {
      const principal = principalOf(req);
      const approvalId = approvalIdParam(req);
      const idempotencyKey = parseIdempotencyKey(req);
      const body = parseOrThrow(DecisionRequestSchema, req.body);
      const agent = deciders
        ? await deciders.resolve(principal.accountId, req.get(SESSION_HEADER), body.agent)
        : { ...body.agent, verified: false };
      const { approval } = await approvals.decide(principal, approvalId, { ...body, agent }, idempotencyKey);
      res.status(200).json(approval);
    },
  );

  return router;
}

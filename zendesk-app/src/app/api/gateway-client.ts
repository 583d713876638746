import {
  ProblemSchema,
  problemTypeUri,
  type DecisionRequest,
  type Insights,
  type Suggestions,
} from '@cheqpoint/shared';
import type { IZafClient, IZafRequestFailure } from '../../types/zaf';
import { toApprovalView, type ApprovalView } from './approval-view';
import { GatewayError } from './gateway-error';
import { gatewayHeaders, pageSession } from './gateway-auth';

export { GATEWAY_ERROR_KINDS, GatewayError, type GatewayErrorKind } from './gateway-error';

/** Why the gateway refuses a decision for approval authority (403 problem+json `reason`). */
const AUTHORITY_REASONS: readonly unknown[] = ['lacks-authority', 'authority-unverifiable'];
/** The 503 of a decision whose authority Zendesk did not confirm in time. */
const ZENDESK_UNAVAILABLE = problemTypeUri('zendesk-unavailable');

/**
 * The gateway's own words when a decision failed over approval authority: this agent may not decide, it
 * could not check who they are (403), or Zendesk did not answer the check (503); null for any other
 * failure. The 403's detail names the requirement.
 */
export function authorityProblem(error: GatewayError): string | null {
  const body = error.body as { reason?: unknown; type?: unknown } | undefined;
  const isAuthority =
    (error.status === 403 && AUTHORITY_REASONS.includes(body?.reason)) ||
    (error.status === 503 && body?.type === ZENDESK_UNAVAILABLE);
  return isAuthority ? error.message : null;
}

/** A decision either landed, or someone (or something) else decided first: `409` with the current state. */
export type DecisionOutcome =
  { kind: 'decided'; approval: ApprovalView } | { kind: 'conflict'; approval: ApprovalView };

/**
 * A failed execution sent again (README "Late decisions"), or `409`: it is not failed (any more), e.g. a
 * colleague retried it first; `approval` is the current state when the gateway sends it.
 */
export type RetryOutcome =
  { kind: 'retried'; approval: ApprovalView } | { kind: 'conflict'; approval: ApprovalView | null };

/** A list with the gateway's cursor (null from a gateway without held list calls). */
export type ApprovalPage = { approvals: ApprovalView[]; cursor: string | null };

/** A held list call: answered once something changed after `since`, or after `waitSeconds`. */
export type LiveQuery = { since: string; waitSeconds: number };

export interface IGatewayClient {
  /** Approvals of one ticket: pending first (oldest first), then the latest decided. */
  listForTicket(ticketId: string): Promise<ApprovalView[]>;
  /** Pending approvals of the account, oldest first, optionally of one action. */
  listPending(options?: { action?: string; limit?: number }): Promise<ApprovalView[]>;
  /** listForTicket with the cursor; with `live`, held by the gateway until the ticket's approvals change. */
  pageForTicket(ticketId: string, live?: LiveQuery): Promise<ApprovalPage>;
  /** listPending with the cursor; with `live`, held until the account's approvals change. */
  pagePending(options?: { action?: string; limit?: number }, live?: LiveQuery): Promise<ApprovalPage>;
  decide(approvalId: string, body: DecisionRequest): Promise<DecisionOutcome>;
  /** `POST /api/agent/approvals/{id}/execution/retry`: the action's failed request, sent again. */
  retryExecution(approvalId: string): Promise<RetryOutcome>;
  /** `GET /api/agent/insights?days=`: per action and in total, the last `days` UTC days (the nav bar's Insights). */
  insights(days: number): Promise<Insights>;
  /** `GET /api/agent/insights/suggestions?days=`: suggested rules with their backtest, and the policy with them. */
  suggestions(days: number): Promise<Suggestions>;
}

export { AGENT_KEY_PLACEHOLDER, pageSession } from './gateway-auth';

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * A held list call's ZAF timeout: the wait plus room for the proxy and the list read.
 *
 * What Zendesk's request proxy allows for a long request, as far as we could find (2026-12): the docs
 * say `client.request` goes through the proxy by default and document no time limit for it; `timeout` is
 * an option of `client.request` seen in public code (a jQuery-style ms value, not in Zendesk's option
 * list); the current ZAF SDK rejects a request's promise after 5 minutes; a Zendesk engineer wrote that
 * Zendesk kills its own API requests after 60 s (zendesk/zendesk_api_client_rb#395, about the Zendesk
 * API, not the proxy). Unconfirmed: the proxy's own upstream timeout, and whether it buffers or cuts
 * a response held for 20 s. So the wait stays at 20 s, far below those bounds, and a held call the proxy
 * cuts short fails like any other call: the hook backs off and falls back to a plain list.
 */
const liveTimeoutMs = (waitSeconds: number) => waitSeconds * 1000 + 10_000;

/**
 * The suggestions call's ZAF timeout: its backtest reads every stored request of the account (about 30 s
 * at 100,000 stored on FerretDB SQLite), so it gets up to the 60 s above rather than the usual 15 s.
 */
const SUGGESTIONS_TIMEOUT_MS = 60_000;

function bodyOf(failure: IZafRequestFailure): unknown {
  if (failure.responseJSON !== undefined) return failure.responseJSON;
  try {
    return failure.responseText ? JSON.parse(failure.responseText) : undefined;
  } catch {
    return undefined;
  }
}

function parseList(reply: unknown): ApprovalPage {
  const { approvals: list, cursor } = (reply ?? {}) as { approvals?: unknown; cursor?: unknown };
  if (!Array.isArray(list)) throw new GatewayError('invalid-reply', 'Reply has no approvals list');
  try {
    return { approvals: list.map(toApprovalView), cursor: typeof cursor === 'string' ? cursor : null };
  } catch {
    throw new GatewayError('invalid-reply', 'Reply does not match the approval contract');
  }
}

/** The query of a held call (none for a plain list). */
function liveParams(query: URLSearchParams, live?: LiveQuery): number {
  if (!live) return REQUEST_TIMEOUT_MS;
  query.set('since', live.since);
  query.set('wait', String(live.waitSeconds));
  return liveTimeoutMs(live.waitSeconds);
}

/**
 * Every gateway call goes through `client.request` with `secure: true` and `cors: false`, so the request
 * leaves from Zendesk's proxy with the agent key filled in; replies are parsed with the shared schemas.
 */
export function createGatewayClient(client: IZafClient, gatewayUrl: string): IGatewayClient {
  const base = gatewayUrl.trim().replace(/\/+$/, '');
  const session = pageSession();

  async function call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeout = REQUEST_TIMEOUT_MS,
  ): Promise<unknown> {
    if (!/^https?:\/\//i.test(base)) throw new GatewayError('not-configured', 'The gateway URL is not set');
    try {
      return await client.request({
        url: `${base}${path}`,
        type: method,
        headers: gatewayHeaders(session),
        secure: true,
        cors: false,
        contentType: 'application/json',
        dataType: 'json',
        timeout,
        ...(body === undefined ? {} : { data: JSON.stringify(body) }),
      });
    } catch (err) {
      const failure = (err ?? {}) as IZafRequestFailure;
      const status = typeof failure.status === 'number' ? failure.status : 0;
      if (status === 409) {
        const body = bodyOf(failure);
        throw new GatewayError('http', ProblemSchema.safeParse(body).data?.detail ?? 'Conflict', 409, [], body);
      }
      if (status === 401 || status === 403) {
        // the gateway says which: the agent key, or (verified approvers) the session or the claimed identity
        const problem = ProblemSchema.safeParse(bodyOf(failure));
        const detail = problem.success ? problem.data.detail : undefined;
        // the body is kept: a 403 about approval authority says which (`reason`, see authorityProblem)
        throw new GatewayError(
          'unauthorized',
          detail ?? 'The agent key was refused',
          status,
          [],
          problem.success ? problem.data : undefined,
        );
      }
      // the gateway was reached but Zendesk was not (checking a decider's authority): its detail says so
      const reply = bodyOf(failure) as { type?: unknown } | undefined;
      if (status === 503 && reply?.type === ZENDESK_UNAVAILABLE) {
        throw new GatewayError('http', ProblemSchema.safeParse(reply).data?.detail ?? 'HTTP 503', status, [], reply);
      }
      if (status === 0 || status === 502 || status === 503 || status === 504) {
        throw new GatewayError('unreachable', 'The gateway could not be reached', status || undefined);
      }
      const problem = ProblemSchema.safeParse(bodyOf(failure));
      const detail = problem.success ? problem.data.detail : `HTTP ${status}`;
      throw new GatewayError('http', detail, status, problem.success ? (problem.data.errors ?? []) : []);
    }
  }

  async function pageForTicket(ticketId: string, live?: LiveQuery) {
    const query = new URLSearchParams({ ticketId });
    const timeout = liveParams(query, live);
    return parseList(await call('GET', `/api/agent/approvals?${query}`, undefined, timeout));
  }
  async function pagePending(options: { action?: string; limit?: number } = {}, live?: LiveQuery) {
    const query = new URLSearchParams({ status: 'pending', limit: String(options.limit ?? 100) });
    if (options.action) query.set('action', options.action);
    const timeout = liveParams(query, live);
    return parseList(await call('GET', `/api/agent/approvals?${query}`, undefined, timeout));
  }

  /** The current approval a 409 carries, or null. */
  function currentOf(err: GatewayError): ApprovalView | null {
    try {
      return toApprovalView((err.body as { approval?: unknown } | undefined)?.approval);
    } catch {
      return null;
    }
  }

  return {
    pageForTicket,
    pagePending,
    async listForTicket(ticketId) {
      return (await pageForTicket(ticketId)).approvals;
    },
    async listPending(options = {}) {
      return (await pagePending(options)).approvals;
    },
    async decide(approvalId, body) {
      try {
        const reply = await call('POST', `/api/agent/approvals/${encodeURIComponent(approvalId)}/decision`, body);
        return { kind: 'decided', approval: toApprovalView(reply) };
      } catch (err) {
        if (err instanceof GatewayError && err.status === 409) {
          const current = currentOf(err);
          if (current) return { kind: 'conflict', approval: current };
          throw new GatewayError('invalid-reply', 'Conflict without the current approval', 409);
        }
        if (err instanceof GatewayError) throw err;
        throw new GatewayError('invalid-reply', 'Reply does not match the approval contract');
      }
    },
    async retryExecution(approvalId) {
      try {
        const path = `/api/agent/approvals/${encodeURIComponent(approvalId)}/execution/retry`;
        return { kind: 'retried', approval: toApprovalView(await call('POST', path)) };
      } catch (err) {
        // not failed (any more): the card takes the current state when the gateway sends it, like a decision's 409
        if (err instanceof GatewayError && err.status === 409) return { kind: 'conflict', approval: currentOf(err) };
        if (err instanceof GatewayError) throw err;
        throw new GatewayError('invalid-reply', 'Reply does not match the approval contract');
      }
    },
    // the replies are parsed in a lazy chunk (insights-reply.ts): only the nav bar's Insights tab reads them
    async insights(days) {
      const [reply, { parseInsights }] = await Promise.all([
        call('GET', `/api/agent/insights?days=${days}`),
        import('./insights-reply'),
      ]);
      return parseInsights(reply);
    },
    async suggestions(days) {
      const [reply, { parseSuggestions }] = await Promise.all([
        call('GET', `/api/agent/insights/suggestions?days=${days}`, undefined, SUGGESTIONS_TIMEOUT_MS),
        import('./insights-reply'),
      ]);
      return parseSuggestions(reply);
    },
  };
}

import { ProblemSchema, type DecisionRequest, type FieldError } from '@cheqpoint/shared';
import type { IZafClient, IZafRequestFailure } from '../../types/zaf';
import { toApprovalView, type ApprovalView } from './approval-view';

/** Why a gateway call failed, as the UI tells it. */
export const GATEWAY_ERROR_KINDS = ['not-configured', 'unreachable', 'unauthorized', 'invalid-reply', 'http'] as const;
export type GatewayErrorKind = (typeof GATEWAY_ERROR_KINDS)[number];

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    readonly status?: number,
    readonly fieldErrors: FieldError[] = [],
    /** The parsed reply body, when there was one (the 409 carries the current approval). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** A decision either landed, or someone (or something) else decided first: `409` with the current state. */
export type DecisionOutcome =
  { kind: 'decided'; approval: ApprovalView } | { kind: 'conflict'; approval: ApprovalView };

export interface IGatewayClient {
  /** Approvals of one ticket: pending first (oldest first), then the latest decided. */
  listForTicket(ticketId: string): Promise<ApprovalView[]>;
  /** Pending approvals of the account, oldest first, optionally of one action. */
  listPending(options?: { action?: string; limit?: number }): Promise<ApprovalView[]>;
  decide(approvalId: string, body: DecisionRequest): Promise<DecisionOutcome>;
}

/** The secure setting is never read by the app: Zendesk's proxy substitutes it server-side [1]. */
export const AGENT_KEY_PLACEHOLDER = '{{setting.agentKey}}';

const REQUEST_TIMEOUT_MS = 15_000;

function bodyOf(failure: IZafRequestFailure): unknown {
  if (failure.responseJSON !== undefined) return failure.responseJSON;
  try {
    return failure.responseText ? JSON.parse(failure.responseText) : undefined;
  } catch {
    return undefined;
  }
}

function parseList(reply: unknown): ApprovalView[] {
  const list = (reply as { approvals?: unknown } | null)?.approvals;
  if (!Array.isArray(list)) throw new GatewayError('invalid-reply', 'Reply has no approvals list');
  try {
    return list.map(toApprovalView);
  } catch {
    throw new GatewayError('invalid-reply', 'Reply does not match the approval contract');
  }
}

/**
 * Every gateway call goes through `client.request` with `secure: true` and `cors: false`, so the request
 * leaves from Zendesk's proxy with the agent key filled in; replies are parsed with the shared schemas.
 */
export function createGatewayClient(client: IZafClient, gatewayUrl: string): IGatewayClient {
  const base = gatewayUrl.trim().replace(/\/+$/, '');

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    if (!/^https?:\/\//i.test(base)) throw new GatewayError('not-configured', 'The gateway URL is not set');
    try {
      return await client.request({
        url: `${base}${path}`,
        type: method,
        headers: { 'x-api-key': AGENT_KEY_PLACEHOLDER, accept: 'application/json' },
        secure: true,
        cors: false,
        contentType: 'application/json',
        dataType: 'json',
        timeout: REQUEST_TIMEOUT_MS,
        ...(body === undefined ? {} : { data: JSON.stringify(body) }),
      });
    } catch (err) {
      const failure = (err ?? {}) as IZafRequestFailure;
      const status = typeof failure.status === 'number' ? failure.status : 0;
      if (status === 409) throw new GatewayError('http', 'Conflict', 409, [], bodyOf(failure));
      if (status === 401 || status === 403) throw new GatewayError('unauthorized', 'The agent key was refused', status);
      if (status === 0 || status === 502 || status === 503 || status === 504) {
        throw new GatewayError('unreachable', 'The gateway could not be reached', status || undefined);
      }
      const problem = ProblemSchema.safeParse(bodyOf(failure));
      const detail = problem.success ? problem.data.detail : `HTTP ${status}`;
      throw new GatewayError('http', detail, status, problem.success ? (problem.data.errors ?? []) : []);
    }
  }

  return {
    async listForTicket(ticketId) {
      return parseList(await call('GET', `/api/agent/approvals?ticketId=${encodeURIComponent(ticketId)}`));
    },
    async listPending(options = {}) {
      const query = new URLSearchParams({ status: 'pending', limit: String(options.limit ?? 100) });
      if (options.action) query.set('action', options.action);
      return parseList(await call('GET', `/api/agent/approvals?${query}`));
    },
    async decide(approvalId, body) {
      try {
        const reply = await call('POST', `/api/agent/approvals/${encodeURIComponent(approvalId)}/decision`, body);
        return { kind: 'decided', approval: toApprovalView(reply) };
      } catch (err) {
        if (err instanceof GatewayError && err.status === 409) {
          const current = (err.body as { approval?: unknown } | undefined)?.approval;
          try {
            return { kind: 'conflict', approval: toApprovalView(current) };
          } catch {
            throw new GatewayError('invalid-reply', 'Conflict without the current approval', 409);
          }
        }
        if (err instanceof GatewayError) throw err;
        throw new GatewayError('invalid-reply', 'Reply does not match the approval contract');
      }
    },
  };
}

import type { IZafClient, IZafRequestFailure } from '../types/zaf';
import { gatewayHeaders, pageSession } from '../app/api/gateway-auth';
import { parseAlertApproval, type AlertApproval } from './alert-approval';

/** Most pending approvals the top bar reads (the gateway's list limit). */
export const PENDING_LIMIT = 200;
const TIMEOUT_MS = 15_000;

export interface IAlertsGateway {
  /** One approval (`GET /api/approvals/:id`). */
  approval(approvalId: string): Promise<AlertApproval>;
  /** The account's pending approvals, oldest first (`GET /api/agent/approvals?status=pending`). */
  pending(): Promise<AlertApproval[]>;
}

/** Why a call failed, in the words the popover shows (`HTTP 401`, `unreachable`, `not configured`). */
export class AlertsGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertsGatewayError';
  }
}

/**
 * The gateway as the background and top bar call it: through Zendesk's proxy with the agent key filled
 * in and the page's verified session, as the sidebar's gateway client does (same headers, gateway-auth.ts).
 */
export function createAlertsGateway(client: IZafClient, gatewayUrl: string): IAlertsGateway {
  const base = gatewayUrl.trim().replace(/\/+$/, '');
  const headers = gatewayHeaders(pageSession());
  async function get(path: string): Promise<unknown> {
    if (!/^https?:\/\//i.test(base)) throw new AlertsGatewayError('the gateway URL is not set');
    try {
      return await client.request({
        url: `${base}${path}`,
        type: 'GET',
        headers,
        secure: true,
        cors: false,
        dataType: 'json',
        timeout: TIMEOUT_MS,
      });
    } catch (err) {
      const status = (err as IZafRequestFailure | undefined)?.status;
      throw new AlertsGatewayError(status ? `HTTP ${status}` : 'the gateway could not be reached');
    }
  }
  return {
    async approval(approvalId) {
      return parseAlertApproval(await get(`/api/approvals/${encodeURIComponent(approvalId)}`));
    },
    async pending() {
      const reply = (await get(`/api/agent/approvals?status=pending&limit=${PENDING_LIMIT}`)) as {
        approvals?: unknown;
      } | null;
      if (!Array.isArray(reply?.approvals)) throw new AlertsGatewayError('the reply has no approvals list');
      return reply.approvals.map(parseAlertApproval);
    },
  };
}

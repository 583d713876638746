/** Seeds the demo approvals through the gateway's own API, as an AI agent flow and an agent would. */
import { DEMO_HISTORY, DEMO_REQUESTS, DEMO_TICKET_ID } from './demo-data.js';

export type DemoKeys = { flowKey: string; agentKey: string };

/** The agent who decided the demo history. */
const DEMO_AGENT = { id: 381, name: 'Ada Lovelace', email: 'ada@example.com' };

async function listOf(gatewayUrl: string, keys: DemoKeys, query: string) {
  const res = await fetch(`${gatewayUrl}/api/agent/approvals?${query}`, { headers: { 'x-api-key': keys.agentKey } });
  if (!res.ok) throw new Error(`Listing approvals failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { approvals: { action: string; summary: string; status: string }[] }).approvals;
}

async function create(gatewayUrl: string, keys: DemoKeys, request: object): Promise<string> {
  const res = await fetch(`${gatewayUrl}/api/webhooks/inbound?wait=0`, {
    method: 'POST',
    headers: { 'x-api-key': keys.flowKey, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw new Error(`Seeding failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { approvalId: string }).approvalId;
}

/**
 * Small store credits people approved unchanged, one per ticket, enough (MIN_SUGGESTION_APPROVALS is 30)
 * for the nav bar's Insights tab to show a table with numbers and one suggested rule.
 */
export const DEMO_INSIGHT_CREDITS = 32;

const creditRequest = (i: number) => ({
  action: 'issue_store_credit',
  summary: `Store credit for order ${7000 + i}`,
  details: { ticket_id: String(8000 + i), amount: 5 + (i % 5) * 5, currency: 'EUR' },
  riskLevel: 'low',
  agentName: 'Support AI',
});

async function decide(gatewayUrl: string, keys: DemoKeys, approvalId: string, body: object, session?: string) {
  const res = await fetch(`${gatewayUrl}/api/agent/approvals/${approvalId}/decision`, {
    method: 'POST',
    headers: {
      'x-api-key': keys.agentKey,
      'content-type': 'application/json',
      // an account that verifies approvers takes the decider from this session (npm run dev)
      ...(session ? { 'x-cheqpoint-session': session } : {}),
    },
    body: JSON.stringify({ ...body, agent: DEMO_AGENT }),
  });
  if (!res.ok) throw new Error(`Deciding a demo approval failed: ${res.status} ${await res.text()}`);
}

export type SeedOptions = {
  /** A session of the agent who decides the history, for an account that verifies approvers (npm run dev). */
  session?: string | undefined;
  /** The pending requests to top up; default DEMO_REQUESTS. */
  requests?: readonly { action: string; summary: string }[];
};

/**
 * The decided history of the demo ticket (once), then each demo request that has no pending approval of
 * its action and summary yet: running it again tops the demo up instead of piling approvals up.
 */
export async function seedDemo(gatewayUrl: string, keys: DemoKeys, options: SeedOptions = {}): Promise<void> {
  const { session, requests = DEMO_REQUESTS } = options;
  const ticket = await listOf(gatewayUrl, keys, `ticketId=${DEMO_TICKET_ID}&limit=200`);
  for (const { request, decision } of DEMO_HISTORY) {
    if (ticket.some((a) => a.action === request.action)) continue;
    const approvalId = await create(gatewayUrl, keys, request);
    await decide(gatewayUrl, keys, approvalId, decision, session);
  }
  // the Insights tab's history (once): small store credits, each approved unchanged
  const credits = await listOf(gatewayUrl, keys, 'status=approved&action=issue_store_credit&limit=200');
  for (let i = credits.length; i < DEMO_INSIGHT_CREDITS; i++) {
    await decide(gatewayUrl, keys, await create(gatewayUrl, keys, creditRequest(i)), { decision: 'approve' }, session);
  }
  const pending = await listOf(gatewayUrl, keys, 'status=pending&limit=200');
  for (const request of requests) {
    // action and summary: the demo has two refunds (one any agent may decide, one for a team lead)
    if (pending.some((a) => a.action === request.action && a.summary === request.summary)) continue;
    await create(gatewayUrl, keys, request);
  }
}

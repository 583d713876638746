import type { Approval } from '@cheqpoint/shared';
// [1] the module itself, not the package's index: the index also builds every zod schema, which would
// weigh down the background and top-bar entries
import { deciderMatch, decidersAt } from '../../../shared/src/authority';

/** Who the signed-in agent is, as authority reads it (Zendesk's currentUser: display data, not proof). */
export interface IDecidingAgent {
  id: string;
  role?: string | null;
  groups: readonly string[];
}

/** What "may decide" reads of an approval: the sidebar's view and the alerts' both have it. */
export type DecidableApproval = Pick<Approval, 'status' | 'expiresAt' | 'escalatesAt'> & {
  policy: Parameters<typeof decidersAt>[0];
  quorum: { approvals: readonly { agent: { id: string } }[] } | null;
};

/**
 * Whether the rule lets `agent` decide `approval` at `now`, as the sidebar's card judges it: one of the
 * rule's deciders (widened once escalated, shared `decidersAt`), and, for a quorum, not among the agents
 * whose approval already counts (an agent votes once). The gateway checks the verified identity; this
 * only picks whom to alert and what to list.
 */
export function hasAuthority(approval: DecidableApproval, agent: IDecidingAgent, now: number): boolean {
  if (approval.quorum?.approvals.some((vote) => vote.agent.id === agent.id)) return false;
  const deciders = decidersAt(approval.policy, approval.escalatesAt, new Date(now));
  return !deciders || deciderMatch(deciders, { role: agent.role ?? null, groups: agent.groups }) !== null;
}

/** Whether `agent` may decide `approval` now: pending, not past its expiry, and the rule lets them. */
export function mayDecide(approval: DecidableApproval, agent: IDecidingAgent, now: number): boolean {
  return approval.status === 'pending' && Date.parse(approval.expiresAt) > now && hasAuthority(approval, agent, now);
}

/** The approvals `agent` may decide, soonest expiry first (ties: the approval id, so the order is stable). */
export function decidableBySoonest<T extends DecidableApproval & { approvalId: string }>(
  approvals: readonly T[],
  agent: IDecidingAgent,
  now: number,
): T[] {
  return approvals
    .filter((approval) => mayDecide(approval, agent, now))
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || a.approvalId.localeCompare(b.approvalId));
}

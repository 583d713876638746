import { useMemo, useRef } from 'react';
import type { ApprovalView } from '../api/approval-view';

/** Pending first (soonest expiry first), then the history, latest decision first. */
export function sidebarOrder(approvals: readonly ApprovalView[]): ApprovalView[] {
  const pending = approvals.filter((a) => a.status === 'pending');
  const decided = approvals.filter((a) => a.status !== 'pending');
  pending.sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
  decided.sort((a, b) => Date.parse(b.decidedAt ?? b.createdAt) - Date.parse(a.decidedAt ?? a.createdAt));
  return [...pending, ...decided];
}

/**
 * The sidebar's order for as long as it is open: the first list in sidebarOrder, then stable. An approval
 * that arrives later goes on top, where the agent is looking (newest first), instead of below the older
 * ones, out of sight; one that turns decided keeps its place instead of jumping below every pending card
 * (the focus would follow it there). A new list that shares nothing with the current one (another ticket,
 * or after an empty list) starts over.
 */
export function useSessionOrder(approvals: readonly ApprovalView[]): ApprovalView[] {
  const order = useRef<string[]>([]);
  return useMemo(() => {
    const byId = new Map(approvals.map((a) => [a.approvalId, a]));
    const kept = order.current.filter((id) => byId.has(id));
    if (kept.length === 0) {
      const first = sidebarOrder(approvals);
      order.current = first.map((a) => a.approvalId);
      return first;
    }
    const known = new Set(kept);
    const arrived = approvals
      .filter((a) => !known.has(a.approvalId))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    order.current = [...arrived.map((a) => a.approvalId), ...kept];
    return order.current.map((id) => byId.get(id) as ApprovalView);
  }, [approvals]);
}

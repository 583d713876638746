import { RISK_LEVELS } from '@cheqpoint/shared';
import type { ApprovalView } from '../../api/approval-view';
import { hasAuthority, type IDecidingAgent } from '../../../alerts/may-decide';
import { formatRelativeTime } from '../../lib/format';

/** Rows per page of the queue table. */
export const QUEUE_PAGE_SIZE = 25;
/** Most pending approvals one list call returns (the gateway's limit); more exist when a reply is this long. */
export const QUEUE_FETCH_LIMIT = 200;

/** Columns the queue sorts by. */
export const QUEUE_SORT_KEYS = ['expiry', 'risk', 'age'] as const;
export type QueueSortKey = (typeof QUEUE_SORT_KEYS)[number];
export const SORT_DIRECTIONS = ['asc', 'desc'] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];
export interface IQueueSort {
  key: QueueSortKey;
  direction: SortDirection;
}

/** The first click on a column sorts the way triage wants: soonest expiry, highest risk, oldest first. */
export const FIRST_DIRECTION: Record<QueueSortKey, SortDirection> = { expiry: 'asc', risk: 'desc', age: 'desc' };
export const DEFAULT_SORT: IQueueSort = { key: 'expiry', direction: 'asc' };

/** Risk filter values: a level, or `none` for approvals sent without one. */
export const RISK_FILTERS = [...[...RISK_LEVELS].reverse(), 'none'] as const;
export type RiskFilter = (typeof RISK_FILTERS)[number];
export interface IQueueFilters {
  /** Action name, or '' for every action. */
  action: string;
  /** Risk level, `none`, or '' for every risk. */
  risk: RiskFilter | '';
  /** Only approvals the signed-in agent may decide ("Can decide"); absent or false: everyone's. */
  canDecide?: boolean;
}

const RISK_RANK: Record<string, number> = Object.fromEntries(RISK_LEVELS.map((level, index) => [level, index + 1]));

/** Sort value of one column: expiry and creation time in ms, risk as a rank (no risk lowest). */
function valueOf(approval: ApprovalView, key: QueueSortKey): number {
  if (key === 'expiry') return Date.parse(approval.expiresAt);
  if (key === 'risk') return approval.riskLevel ? (RISK_RANK[approval.riskLevel] ?? 0) : 0;
  return -Date.parse(approval.createdAt); // [1] age grows as creation time shrinks
}

/** A sorted copy; ties fall back to the soonest expiry, then the oldest, so the order never jumps. */
export function sortApprovals(approvals: readonly ApprovalView[], sort: IQueueSort): ApprovalView[] {
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...approvals].sort(
    (a, b) =>
      sign * (valueOf(a, sort.key) - valueOf(b, sort.key)) ||
      Date.parse(a.expiresAt) - Date.parse(b.expiresAt) ||
      Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
      a.approvalId.localeCompare(b.approvalId),
  );
}

/** Who "Can decide" is judged for, and when (escalation widens the deciders with time). */
export interface IDecider {
  agent: IDecidingAgent;
  now: number;
}

export function filterApprovals(
  approvals: readonly ApprovalView[],
  filters: IQueueFilters,
  decider?: IDecider,
): ApprovalView[] {
  return approvals.filter(
    (a) =>
      (!filters.action || a.action === filters.action) &&
      (!filters.risk || (filters.risk === 'none' ? a.riskLevel === null : a.riskLevel === filters.risk)) &&
      (!filters.canDecide || !decider || a.status !== 'pending' || hasAuthority(a, decider.agent, decider.now)),
  );
}

/**
 * "Can decide" is on by default for an agent who cannot decide everything the queue lists (some rule's
 * deciders leave them out, or their vote already counts), and off for one who may decide it all.
 */
export function canDecideByDefault(approvals: readonly ApprovalView[], decider: IDecider): boolean {
  return approvals.some((a) => a.status === 'pending' && !hasAuthority(a, decider.agent, decider.now));
}

export interface IPage<T> {
  rows: T[];
  /** Zero-based page actually shown (clamped when the list shrank). */
  page: number;
  pageCount: number;
  /** One-based positions of the first and last row shown (0 and 0 when empty). */
  from: number;
  to: number;
}

export function pageOf<T>(rows: readonly T[], page: number, size = QUEUE_PAGE_SIZE): IPage<T> {
  const pageCount = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(Math.max(0, page), pageCount - 1);
  const slice = rows.slice(current * size, (current + 1) * size);
  const from = slice.length === 0 ? 0 : current * size + 1;
  return { rows: slice, page: current, pageCount, from, to: from === 0 ? 0 : from + slice.length - 1 };
}

/** "5 min. ago", "in 2 hr." (Intl's short style, the same rule as the cards), for the Age and Expires columns. */
export function formatShortRelative(at: number, now: number, locale: string): string {
  return formatRelativeTime(at, now, locale, 'short');
}

export { formatAmount } from '../../lib/headline-amount';

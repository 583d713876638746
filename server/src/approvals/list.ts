import type { Approval, ApprovalListQuery } from '@cheqpoint/shared';
import type { StoredApproval } from './approval-store.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { expireIfDue } from './expiry.js';
import type { PendingEntry } from './pending-set.js';

/** How many of a ticket's latest approvals the sidebar list reads (its pending ones always, whatever their age). */
const TICKET_READ = 220;
/** How many decided approvals the ticket view shows after the pending ones. */
const DECIDED_PER_TICKET = 20;
/** How far back in the change feed a list of decided approvals looks. */
const DECIDED_LOOKBACK = 5_000;
/** Entries of the pending set whose approval is missing are dropped once this old (it was never stored). */
const ORPHAN_AGE_MS = 60_000;

/** Reads approvals by key, in parallel, and settles those past their expiry (lists never show them pending). */
async function readViews(ctx: ApprovalsContext, accountId: string, ids: string[]): Promise<Approval[]> {
  const found = await ctx.store.findApprovals(accountId, ids);
  return Promise.all(
    found.map(async ({ doc, decision }: StoredApproval) => toApprovalView(doc, await expireIfDue(ctx, doc, decision))),
  );
}

/**
 * A ticket's approvals (the sidebar): pending ones oldest first, then the latest decided ones. Read by
 * key through the ticket's slots and the pending set, so the cost follows the ticket, not the store.
 */
async function listTicket(ctx: ApprovalsContext, accountId: string, query: ApprovalListQuery) {
  const ticketId = query.ticketId as string;
  const recent = await ctx.tickets.approvalIds(accountId, ticketId, TICKET_READ);
  const pendingOlder = ctx.pending.ofTicket(accountId, ticketId).map((e) => e._id);
  const views = await readViews(ctx, accountId, [...new Set([...recent, ...pendingOlder])]);
  const byAge = (a: Approval, b: Approval) => a.createdAt.localeCompare(b.createdAt);
  const pending = views.filter((a) => a.status === 'pending').sort(byAge);
  const decided = views
    .filter((a) => a.status !== 'pending')
    .sort((a, b) => byAge(b, a))
    .slice(0, DECIDED_PER_TICKET);
  return [...pending, ...decided]
    .filter((a) => (!query.status || a.status === query.status) && (!query.action || a.action === query.action))
    .slice(0, 200);
}

/** The account's queue: pending approvals oldest first, from the pending set (stale entries are dropped). */
async function listPending(ctx: ApprovalsContext, accountId: string, query: ApprovalListQuery) {
  const out: Approval[] = [];
  // Page by page in queue order (a page costs what it holds, whatever is pending), until the page is
  // full: stale entries met on the way are dropped. The last entry read is the cursor, so removals
  // made meanwhile (by this call or a decision) do not shift what comes next.
  for (let after: PendingEntry | null = null; out.length < query.limit;) {
    const batch = ctx.pending.queue(accountId, { action: query.action, after, limit: query.limit });
    if (batch.length === 0) break;
    after = batch.at(-1) ?? null;
    const found = new Map(
      (
        await ctx.store.findApprovals(
          accountId,
          batch.map((e) => e._id),
        )
      ).map((item) => [item.doc._id, item] as const),
    );
    for (const entry of batch) {
      const item = found.get(entry._id);
      if (!item) {
        if (entry.createdAt.getTime() < ctx.clock.now().getTime() - ORPHAN_AGE_MS) {
          await ctx.pending.removeDurable(entry._id);
        }
        continue;
      }
      const view = toApprovalView(item.doc, await expireIfDue(ctx, item.doc, item.decision));
      if (view.status === 'pending') out.push(view);
      else await ctx.pending.removeDurable(entry._id);
    }
  }
  return out.slice(0, query.limit);
}

/** The account's latest decided approvals of one status, newest first, from a bounded walk back the change feed. */
async function listDecided(ctx: ApprovalsContext, accountId: string, query: ApprovalListQuery) {
  const ids: string[] = [];
  for await (const { change } of ctx.feed.readBackwards(DECIDED_LOOKBACK)) {
    if (change.kind !== 'decided' || change.accountId !== accountId || change.outcome !== query.status) continue;
    if (query.action && change.action !== query.action) continue;
    if (!ids.includes(change.approvalId)) ids.push(change.approvalId);
    if (ids.length >= query.limit) break;
  }
  const views = await readViews(ctx, accountId, ids);
  return views.filter((a) => a.status === query.status).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** `GET /api/agent/approvals`: a ticket's approvals, the pending queue, or the latest decided ones. */
export async function listApprovals(
  ctx: ApprovalsContext,
  accountId: string,
  query: ApprovalListQuery,
): Promise<Approval[]> {
  if (query.ticketId) return listTicket(ctx, accountId, query);
  const status = query.status ?? 'pending';
  if (status === 'pending') return listPending(ctx, accountId, query);
  return listDecided(ctx, accountId, { ...query, status });
}

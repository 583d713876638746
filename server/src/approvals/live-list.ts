import type { ApprovalList, ApprovalListQuery } from '@cheqpoint/shared';
import { validationError } from '../http/app-error.js';
import type { ApprovalsContext } from './context.js';
import { listApprovals } from './list.js';

/** A cursor is the decimal change-feed position a list reflects (clients treat it as opaque). */
const CURSOR_PATTERN = /^\d{1,15}$/;

export type LiveListOptions = {
  /** The cursor of the list the caller has (`since`); without it, the list is answered at once. */
  since?: string | undefined;
  seconds: number;
  signal?: AbortSignal;
  /** When the request arrived: the wait counts from here. */
  startedAt?: number;
};

const badSince = (message: string) => validationError([{ path: 'since', message }]);

/**
 * `GET /api/agent/approvals?since=<cursor>&wait=<seconds>`: the list with the cursor it reflects; with
 * `since` and a wait, held until a change in its scope (this account; this ticket for a ticket's list)
 * lands after `since`, made by any process (the change feed wakes it), or until the wait ends. Whether
 * something changed is answered from memory (ListWatch), so a held call reads the database once, when
 * it answers, like an unheld one.
 */
export async function listLive(
  ctx: ApprovalsContext,
  accountId: string,
  query: ApprovalListQuery,
  options: LiveListOptions,
): Promise<ApprovalList> {
  const { lists } = ctx;
  if (options.since !== undefined) {
    if (!CURSOR_PATTERN.test(options.since)) throw badSince('since must be a cursor from an earlier list');
    const since = Number(options.since);
    // A cursor from a process that has read further: catch up once; beyond the feed's end it is not ours.
    if (since > lists.position) await ctx.feed.readNow();
    if (since > lists.position) throw badSince('since is not a cursor of this gateway (ahead of its changes)');
    // The queue (pending only: an account's list defaults to it) is not woken by executions, which it never shows.
    const status = query.status ?? (query.ticketId ? undefined : 'pending');
    const scope = { accountId, ticketId: query.ticketId, action: query.action, pendingOnly: status === 'pending' };
    const waitMs = options.seconds * 1000 - (Date.now() - (options.startedAt ?? Date.now()));
    if (waitMs > 0 && lists.hasRoom && !lists.hasChangedSince(scope, since)) {
      await lists.hold(scope, waitMs, options.signal);
      // The caller went away: nobody reads this answer, so spend no database read on it.
      if (options.signal?.aborted) return { approvals: [], cursor: String(lists.position) };
    }
  }
  // Catch up with the feed first (one keyed read of its next position): this process's own appends,
  // such as the intake a flow just made, are otherwise seen only at the next tail, and a cursor taken
  // before them would wake the caller's next held call at once for a change its list already has.
  await ctx.feed.readNow();
  // The position is taken before the read: a change landing during the read is then in the list or
  // after the cursor (reported again next time), never lost between the two.
  const cursor = String(lists.position);
  return { approvals: await listApprovals(ctx, accountId, query), cursor };
}

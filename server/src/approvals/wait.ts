import type { Approval } from '@cheqpoint/shared';
import { notFound } from '../http/app-error.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import type { WaitOutcome } from './decision-waiter.js';
import { expireIfDue } from './expiry.js';
import { getApproval } from './read.js';

/**
 * Holds until the approval is decided or `seconds` pass, counted from `startedAt` (when the request
 * arrived, so a slow database does not stretch the wait); returns its state then. A decision made in
 * this process arrives with its release; one made by another process is announced by the change feed
 * and then read by key, so the answer comes within a feed interval of the decision. A wait that times
 * out reads nothing while the feed is current (see decisionAfter).
 */
export async function waitForDecision(
  ctx: ApprovalsContext,
  accountId: string,
  approvalId: string,
  seconds: number,
  signal?: AbortSignal,
  startedAt: number = Date.now(),
): Promise<Approval> {
  const waitMs = seconds * 1000 - (Date.now() - startedAt);
  if (waitMs <= 0 || !ctx.waiter.hasRoom) return getApproval(ctx, accountId, approvalId);
  // Subscribe before reading, so a decision landing in between is not missed.
  const subscription = ctx.waiter.subscribe(approvalId, waitMs, signal);
  let doc: ApprovalDoc;
  let outcome: WaitOutcome;
  try {
    const found = await ctx.store.findApproval(accountId, approvalId);
    if (!found) throw notFound();
    doc = found.doc;
    const current = await expireIfDue(ctx, found.doc, found.decision);
    if (current || doc.status !== 'pending') return toApprovalView(found.doc, current);
    outcome = await subscription.done;
  } finally {
    subscription.cancel();
  }
  // The caller went away: nobody reads this answer, so spend no database read on it.
  if (outcome === 'aborted' && signal?.aborted) return toApprovalView(doc);
  return toApprovalView(
    doc,
    await expireIfDue(ctx, doc, await decisionAfter(ctx, accountId, approvalId, outcome, subscription.payload())),
  );
}

/**
 * The decision in force once the wait is over, from what this process knows where it can: released
 * here, the decision came with the signal; timed out while the change feed is current, there is none
 * (a decision by any process would have been announced and would have released the wait), so hundreds
 * of waits timing out together answer without touching the database. Otherwise (announced by the feed
 * without the record, the feed behind or failing, shutdown) one read by key, batched with the other
 * waits ending at the same time.
 */
async function decisionAfter(
  ctx: ApprovalsContext,
  accountId: string,
  approvalId: string,
  outcome: WaitOutcome,
  carried: DecisionDoc | undefined,
): Promise<DecisionDoc | null> {
  if (carried && carried.accountId === accountId) return carried;
  if (outcome === 'timeout' && ctx.feed.isCurrent()) return null;
  return ctx.decisionReads.find(accountId, approvalId);
}

import type { Approval } from '@cheqpoint/shared';
import type { ApprovalChange } from './approval-changes.js';
import type { ApprovalsContext } from './context.js';
import { decideApproval } from './decide.js';
import { escalateDue } from './escalation.js';
import { expireDue } from './expiry.js';
import { submitApproval } from './intake.js';
import { listApprovals } from './list.js';
import { listLive } from './live-list.js';
import { attachVotes } from './quorum-view.js';
import { getApproval } from './read.js';
import { answerRequester } from './requester-answer.js';
import { waitForDecision } from './wait.js';

/** The approval use cases bound to one context, for the router (each lives in its own file). */
export function approvalsApi(ctx: ApprovalsContext) {
  return {
    // Reads show the votes of quorum approvals (read by key, only for those; see quorum.ts).
    submit: async (...args: Tail<Parameters<typeof submitApproval>>) => {
      const submitted = await submitApproval(ctx, ...args);
      return { ...submitted, approval: await oneWithVotes(ctx, submitted.approval) };
    },
    get: async (...args: Tail<Parameters<typeof getApproval>>) => oneWithVotes(ctx, await getApproval(ctx, ...args)),
    waitForDecision: async (...args: Tail<Parameters<typeof waitForDecision>>) =>
      oneWithVotes(ctx, await waitForDecision(ctx, ...args)),
    list: async (...args: Tail<Parameters<typeof listApprovals>>) =>
      attachVotes(ctx, await listApprovals(ctx, ...args)),
    listLive: async (...args: Tail<Parameters<typeof listLive>>) => {
      const list = await listLive(ctx, ...args);
      return { ...list, approvals: await attachVotes(ctx, list.approvals) };
    },
    decide: (...args: Tail<Parameters<typeof decideApproval>>) => decideApproval(ctx, ...args),
    expireDue: (limit?: number) => expireDue(ctx, limit),
    escalateDue: (limit?: number) => escalateDue(ctx, limit),
    /** What a requester call answers (settles the `when: late` race for decided approvals). */
    answerRequester: (approval: Approval) => answerRequester(ctx, approval),
    /** The account's policy (for a caller that starts the read early, see SubmitOptions.policy). */
    readPolicy: (accountId: string) => ctx.policies.getPolicy(accountId),
  };
}
export type ApprovalsService = ReturnType<typeof approvalsApi>;

const oneWithVotes = async (ctx: ApprovalsContext, approval: Approval) =>
  (await attachVotes(ctx, [approval]))[0] as Approval;

type Tail<T extends unknown[]> = T extends [unknown, ...infer Rest] ? Rest : never;

/**
 * Keeps this process current with what every process does, from the change feed: new approvals join
 * the pending set; decisions leave it and release the calls held here. Held list calls are woken last,
 * once the pending set has the change.
 */
export function followChanges(ctx: ApprovalsContext): () => void {
  return ctx.feed.subscribe((change: ApprovalChange, seq: number) => {
    apply(ctx, change);
    ctx.lists.onChange(change, seq);
  });
}

function apply(ctx: ApprovalsContext, change: ApprovalChange) {
  switch (change.kind) {
    case 'created':
      ctx.pending.add({
        _id: change.approvalId,
        accountId: change.accountId,
        ticketId: change.ticketId,
        action: change.action,
        createdAt: new Date(change.createdAt),
        expiresAt: new Date(change.expiresAt),
        escalatesAt: change.escalatesAt ? new Date(change.escalatesAt) : null,
      });
      return;
    case 'escalated':
      ctx.pending.markEscalated(change.approvalId);
      return;
    case 'voted':
    case 'executed':
      return; // only held lists care (woken by the caller)
    case 'decided':
      ctx.pending.remove(change.approvalId);
      ctx.waiter.publish(change.approvalId);
      return;
  }
}

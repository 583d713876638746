import type { Approval } from '@cheqpoint/shared';
import { notFound } from '../http/app-error.js';
import { toApprovalView } from './approval.view.js';
import type { ApprovalsContext } from './context.js';
import { expireIfDue } from './expiry.js';

/** One approval of the account as the API shows it (settling it first if it is past its expiry). */
export async function getApproval(ctx: ApprovalsContext, accountId: string, approvalId: string): Promise<Approval> {
  const found = await ctx.store.findApproval(accountId, approvalId);
  if (!found) throw notFound();
  return toApprovalView(found.doc, await expireIfDue(ctx, found.doc, found.decision));
}

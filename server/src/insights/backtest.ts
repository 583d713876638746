import { trusted, type Connection } from 'mongoose';
import type { PolicyRule, SuggestionKind } from '@cheqpoint/shared';
import { approvalModels, type ApprovalDoc } from '../approvals/approval.model.js';
import { ruleMatches } from '../policies/policy.evaluator.js';

/** What the backtest reads of a stored approval. */
export type StoredRequest = Pick<
  ApprovalDoc,
  'action' | 'detailsJson' | 'status' | 'decidedBy' | 'modifiedDetailsJson'
> & {
  details: Record<string, unknown>;
};

/**
 * Every stored request of some actions of an account. A scan of the approvals (FerretDB reads them
 * all): only `policy suggest` and the suggestions call read it, an admin's rare question, never a
 * request path of the AI agents or the app's lists.
 */
export async function storedRequests(
  conn: Connection,
  accountId: string,
  actions: readonly string[],
): Promise<Map<string, StoredRequest[]>> {
  const byAction = new Map<string, StoredRequest[]>(actions.map((a) => [a, []]));
  if (actions.length === 0) return byAction;
  const { Approval } = approvalModels(conn);
  const cursor = Approval.find({ accountId, action: trusted({ $in: [...actions] }) } as never, {
    action: 1,
    detailsJson: 1,
    status: 1,
    decidedBy: 1,
    modifiedDetailsJson: 1,
  })
    .lean<ApprovalDoc[]>()
    .cursor();
  for await (const doc of cursor) {
    let details: Record<string, unknown> = {};
    try {
      details = JSON.parse(doc.detailsJson) as Record<string, unknown>;
    } catch {
      // Stored by this gateway, so always JSON; an unreadable one matches no condition.
    }
    byAction.get(doc.action)?.push({ ...doc, details });
  }
  return byAction;
}

/** The rule replayed over stored requests: what it matches and how those were decided. */
export function backtest(rule: PolicyRule, kind: SuggestionKind, requests: readonly StoredRequest[]) {
  const result = {
    requests: 0,
    approvedUnchanged: 0,
    approvedWithChanges: 0,
    rejected: 0,
    expired: 0,
    pending: 0,
    wouldHaveDecided: 0,
    conflicting: 0,
  };
  for (const request of requests) {
    if (!ruleMatches(rule, { action: request.action, details: request.details })) continue;
    result.requests++;
    if (request.status === 'pending') result.pending++;
    else if (request.decidedBy?.type === 'expiry') result.expired++;
    else if (request.status === 'rejected') result.rejected++;
    else if (request.modifiedDetailsJson !== null) result.approvedWithChanges++;
    else result.approvedUnchanged++;
  }
  result.wouldHaveDecided = result.requests;
  switch (kind) {
    case 'auto_approve':
      result.conflicting = result.approvedWithChanges + result.rejected;
      break;
    case 'auto_reject':
      result.conflicting = result.approvedUnchanged + result.approvedWithChanges;
      break;
  }
  return result;
}

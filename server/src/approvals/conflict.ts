import type { Approval } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import type { ApprovalsContext } from './context.js';
import { quorumView } from './quorum-view.js';
import { repairDecided } from './settle.js';

/** Who decided, in a 409's words. */
function deciderName(decision: DecisionDoc): string {
  switch (decision.decidedBy.type) {
    case 'agent':
      return decision.decidedBy.name;
    case 'policy':
    case 'expiry':
      return decision.decidedBy.type;
  }
}

/**
 * An already decided approval: a retry of the winning request (same Idempotency-Key) replays it and
 * finishes what it may not have; anyone else gets 409 with the approval as it is.
 */
export async function conflictOrReplay(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  decision: DecisionDoc,
  decisionRequestId: string | null,
): Promise<{ approval: Approval; isReplay: boolean }> {
  const approval = await quorumView(ctx, doc, decision);
  if (decisionRequestId !== null && decision.decisionRequestId === decisionRequestId) {
    await repairDecided(ctx, doc, decision);
    return { approval, isReplay: true };
  }
  throw new AppError(
    'already-decided',
    409,
    `This approval was already ${decision.outcome} (by ${deciderName(decision)})`,
    { body: { approval } },
  );
}

import { decidersAt } from '@cheqpoint/shared';
import type { ApprovalDoc } from './approval.model.js';
import { escalatesAt } from './approval.view.js';
import type { ApprovalsContext } from './context.js';

/**
 * The escalation sweep: applies the escalation of each pending approval whose rule's `escalation` is
 * due (at most `limit`), taken from the pending set, so it costs what is due, not what is stored. It
 * fires once per approval whichever process gets there first: the record's insert decides, the winner
 * writes the audit event, tells the other processes and Zendesk (ctx.onEscalated). Wider deciders need
 * no write at all: who may decide follows from `escalatesAt` (see authority.ts), so they apply on time
 * even if every sweep is late.
 */
export async function escalateDue(ctx: ApprovalsContext, limit = 500): Promise<number> {
  let escalated = 0;
  const now = ctx.clock.now();
  for (const entry of ctx.pending.escalationsDue(now, limit)) {
    // Not watched again by this process; a reload of the pending set brings it back if this fails.
    ctx.pending.markEscalated(entry._id);
    const found = await ctx.store.findApproval(entry.accountId, entry._id);
    if (!found || found.decision || found.doc.status !== 'pending' || found.doc.expiresAt <= now) continue;
    const at = escalatesAt(found.doc);
    if (!at || at > now) continue;
    if (!(await ctx.store.escalations.claim({ _id: found.doc._id, accountId: found.doc.accountId, at: now }))) continue;
    await applyEscalation(ctx, found.doc, now);
    escalated++;
  }
  return escalated;
}

async function applyEscalation(ctx: ApprovalsContext, doc: ApprovalDoc, at: Date) {
  const escalation = doc.policy?.escalation;
  if (!escalation) return;
  const widened = escalation.deciders ? decidersAt(doc.policy, escalatesAt(doc), at) : null;
  await ctx.audit.bestEffort(doc, 'escalated', () =>
    ctx.audit.recordEscalation(doc, {
      afterSeconds: escalation.afterSeconds,
      deciders: widened,
      priority: escalation.priority ?? null,
      notifyGroup: escalation.notifyGroup ?? null,
      at,
    }),
  );
  try {
    await ctx.feed.append({
      kind: 'escalated',
      approvalId: doc._id,
      accountId: doc.accountId,
      ticketId: doc.ticketId,
      action: doc.action,
    });
  } catch {
    // Other processes then try the record insert themselves and lose it; held lists refresh later.
  }
  ctx.onEscalated?.(doc, escalation);
}

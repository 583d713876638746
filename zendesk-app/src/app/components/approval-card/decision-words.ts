import type { DecidedBy } from '@cheqpoint/shared';
import type { ApprovalView } from '../../api/approval-view';
import type { Translate } from '../../lib/i18n';

/** "Ada Agent", "policy small-refunds" or "expiry": who settled an approval, for sentences. */
export function whoDecided(decidedBy: DecidedBy | null, t: Translate): string {
  if (!decidedBy) return '';
  switch (decidedBy.type) {
    case 'agent':
      return t('who_agent', { name: decidedBy.name });
    case 'policy':
      return t('who_policy', { rule: decidedBy.rule });
    case 'expiry':
      return t('who_expiry');
  }
}

/** "Approved by Ada Lovelace", "Rejected by policy no-deletes", "Rejected: no decision before it expired". */
export function decisionLine(approval: ApprovalView, t: Translate): string {
  const status = t(approval.status === 'approved' ? 'status_approved' : 'status_rejected');
  const by = approval.decidedBy;
  if (by?.type === 'agent') return t('decided_by_agent', { status, name: by.name });
  if (by?.type === 'policy') return t('decided_by_policy', { status, rule: by.rule });
  if (by?.type === 'expiry') return t('decided_by_expiry', { status });
  return status;
}

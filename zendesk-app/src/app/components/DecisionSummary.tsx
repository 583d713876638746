import type { DecidedBy } from '@cheqpoint/shared';
import type { ApprovalView } from '../api/approval-view';
import { formatAgo, formatDateTime } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { ClampedText } from './ClampedText';
import { Section } from './Section';

/** "Ada Agent", "policy small-refunds" or "expiry": who settled an approval, for sentences. */
export function whoDecided(decidedBy: DecidedBy | null, t: Translate): string {
  if (!decidedBy) return '';
  if (decidedBy.type === 'agent') return t('who_agent', { name: decidedBy.name });
  if (decidedBy.type === 'policy') return t('who_policy', { rule: decidedBy.rule });
  return t('who_expiry');
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

export interface IDecisionSummaryProps {
  /** A decided approval. */
  approval: ApprovalView;
  now: number;
  locale: string;
  t: Translate;
}

/** Who or what decided, when ("decided 2 minutes ago", never a time ahead of now), and the note. */
export function DecisionSummary({ approval, now, locale, t }: IDecisionSummaryProps) {
  return (
    <div data-testid="decision-summary">
      <p>
        <strong>{decisionLine(approval, t)}</strong>
        {approval.decidedBy?.type === 'agent' && approval.decidedBy.verified && (
          // the gateway took the decider from a Zendesk-signed session (README "Verified approvers")
          <>
            {' · '}
            <span data-testid="verified-decider" title={t('decided_verified_title')}>
              {t('decided_verified')}
            </span>
          </>
        )}
        {approval.decidedAt && (
          <>
            {' · '}
            <time dateTime={approval.decidedAt} title={formatDateTime(approval.decidedAt, locale)}>
              {t('decided_at', { time: formatAgo(approval.decidedAt, now, locale) })}
            </time>
          </>
        )}
      </p>
      {approval.decisionNote && (
        <Section title={t('decision_note')}>
          <p>
            <ClampedText text={approval.decisionNote} t={t} />
          </p>
        </Section>
      )}
    </div>
  );
}

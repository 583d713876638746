import type { DecidedBy } from '@cheqpoint/shared';
import type { ApprovalView } from '../api/approval-view';
import { diffDetails } from '../lib/details-form';
import { formatDateTime, formatRelative } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { DetailsDiff } from './DetailsDiff';
import { Section } from './Section';

/** "Ada Agent", "policy small-refunds" or "expiry": who settled an approval, for sentences. */
export function whoDecided(decidedBy: DecidedBy | null, t: Translate): string {
  if (!decidedBy) return '';
  if (decidedBy.type === 'agent') return t('who_agent', { name: decidedBy.name });
  if (decidedBy.type === 'policy') return t('who_policy', { rule: decidedBy.rule });
  return t('who_expiry');
}

export interface IDecisionSummaryProps {
  /** A decided approval. */
  approval: ApprovalView;
  now: number;
  locale: string;
  t: Translate;
}

/** Who or what decided, when, the note, and the changes an approval was approved with. */
export function DecisionSummary({ approval, now, locale, t }: IDecisionSummaryProps) {
  const status = t(approval.status === 'approved' ? 'status_approved' : 'status_rejected');
  const by = approval.decidedBy;
  let line = status;
  if (by?.type === 'agent') line = t('decided_by_agent', { status, name: by.name });
  else if (by?.type === 'policy') line = t('decided_by_policy', { status, rule: by.rule });
  else if (by?.type === 'expiry') line = t('decided_by_expiry', { status });
  const changes = approval.modifiedDetails ? diffDetails(approval.details, approval.modifiedDetails) : [];
  return (
    <div data-testid="decision-summary">
      <p>
        <strong>{line}</strong>
        {approval.decidedAt && (
          <>
            {' · '}
            <time dateTime={approval.decidedAt} title={formatDateTime(approval.decidedAt, locale)}>
              {t('decided_at', { time: formatRelative(approval.decidedAt, now, locale) })}
            </time>
          </>
        )}
      </p>
      {approval.decisionNote && (
        <Section title={t('decision_note')}>
          <p>{approval.decisionNote}</p>
        </Section>
      )}
      {changes.length > 0 && (
        <Section title={t('approved_changes')}>
          <DetailsDiff changes={changes} t={t} />
        </Section>
      )}
    </div>
  );
}

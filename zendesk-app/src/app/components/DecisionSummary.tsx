import type { ApprovalView } from '../api/approval-view';
import { formatAgo, formatDateTime } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { decisionLine } from './approval-card/decision-words';
import { ClampedText } from './ClampedText';
import { Section } from './Section';

export interface IDecisionSummaryProps {
  /** A decided approval. */
  approval: ApprovalView;
  now: number;
  locale: string;
  t: Translate;
}

/**
 * Who or what decided, when ("decided 2 minutes ago", never a time ahead of now), and the note. Lazily
 * loaded with the other card parts (approval-card/card-parts.ts).
 */
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

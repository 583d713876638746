import { Tag } from '@zendeskgarden/react-tags';
import type { ApprovalView } from '../../api/approval-view';
import { expiryUrgency, formatAgo, formatDateTime, formatRelative } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { VisuallyHidden } from '../LiveRegion';
import { Expiry, Meta, RISK_HUES } from './card.styles';

export interface ICardMetaProps {
  approval: ApprovalView;
  now: number;
  /** The rule's escalation applies (authorityOf). */
  isEscalated: boolean;
  riskLabel: string | null;
  locale: string;
  t: Translate;
}

/** The line under the summary: risk, escalation and priority tags, who asked when, and the expiry. */
export function CardMeta({ approval, now, isEscalated, riskLabel, locale, t }: ICardMetaProps) {
  const isPending = approval.status === 'pending';
  const urgency = expiryUrgency(approval.expiresAt, now);
  return (
    <Meta>
      {approval.riskLevel && (
        <Tag hue={RISK_HUES[approval.riskLevel]} size="small" isRegular>
          {t('risk', { level: riskLabel ?? '' })}
        </Tag>
      )}
      {isEscalated && (
        <Tag hue="orange" size="small" isRegular title={t('escalated_title')}>
          {t('escalated')}
        </Tag>
      )}
      {approval.priority && (
        <Tag hue="grey" size="small" isRegular>
          {t('priority', { level: t(`priority_${approval.priority}`) })}
        </Tag>
      )}
      <time dateTime={approval.createdAt} title={formatDateTime(approval.createdAt, locale)}>
        {approval.agentName
          ? t('requested_by_at', { name: approval.agentName, time: formatAgo(approval.createdAt, now, locale) })
          : t('requested_at', { time: formatAgo(approval.createdAt, now, locale) })}
      </time>
      {isPending && (
        <>
          {/* [1] near the end the countdown is red and says so to screen readers too (a <time> may not carry aria-label) */}
          {urgency === 'imminent' && <VisuallyHidden>{t('expires_soon')}</VisuallyHidden>}
          <Expiry
            dateTime={approval.expiresAt}
            title={formatDateTime(approval.expiresAt, locale)}
            $urgency={urgency}
            data-urgency={urgency}
          >
            {urgency === 'expired'
              ? t('expired')
              : t('expires_at', { time: formatRelative(approval.expiresAt, now, locale) })}
          </Expiry>
        </>
      )}
    </Meta>
  );
}

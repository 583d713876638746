import { forwardRef } from 'react';
import styled from 'styled-components';
import { Button, ChevronButton } from '@zendeskgarden/react-buttons';
import { decidersAt } from '@cheqpoint/shared';
import { Table } from '@zendeskgarden/react-tables';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import { expiryUrgency, formatDateTime, humanizeAction } from '../../lib/format';
import { requirementText } from '../../lib/authority';
import type { Translate } from '../../lib/i18n';
import { capitalize } from './QueueToolbar';
import { formatAmount, formatShortRelative } from './queue-model';

const RISK_HUES = { low: 'grey', medium: 'yellow', high: 'red', critical: 'red' } as const;
const STATUS_HUES = { pending: 'yellow', approved: 'green', rejected: 'red' } as const;
const URGENCY_COLORS = {
  expired: 'foreground.danger',
  imminent: 'foreground.danger',
  soon: 'foreground.warning',
  calm: 'foreground.default',
} as const;

const ClickableRow = styled(Table.Row)`
  cursor: pointer;
`;

/** The ticket and action cells truncate their lines: `max-width: 0` keeps them from widening the table (QueueTable [1]). */
const TextCell = styled(Table.Cell)`
  max-width: 0;
`;

/** A number, a tag or a time: never wrapped nor cut, its column fits it (QueueTable). */
const FitCell = styled(Table.Cell)`
  white-space: nowrap;
`;

/** A second, smaller line under a cell's main text (ticket subject, approval summary). */
const Subline = styled.span`
  display: block;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

/** Who may decide (approval authority), so a lead scanning the queue sees which need them. */
const Requirement = styled(Subline)`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Main = styled.span`
  display: block;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
`;

const Expiry = styled.time<{ $urgency: keyof typeof URGENCY_COLORS }>`
  color: ${({ theme, $urgency }) => getColor({ theme, variable: URGENCY_COLORS[$urgency] })};
  font-weight: ${({ theme, $urgency }) =>
    $urgency === 'calm' ? theme.fontWeights.regular : theme.fontWeights.semibold};
`;

const Subtle = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IQueueRowProps {
  approval: ApprovalView;
  now: number;
  /** Locale for relative times (the app's language). */
  locale: string;
  /** Locale for money (the agent's own, e.g. `en-GB`). */
  moneyLocale: string;
  /** The app's `defaultCurrency` setting, for amounts that name no currency. */
  defaultCurrency?: string | null;
  /** The ticket's subject, when Zendesk gave it. */
  subject?: string;
  isExpanded: boolean;
  /** Arrived since the queue was first shown. */
  isNew: boolean;
  /** id of the row below that holds the approval's card. */
  panelId: string;
  onToggle: () => void;
  onOpenTicket: (ticketId: string) => void;
  t: Translate;
}

/** One pending approval as a table row: ticket, action, amount, risk, age, expiry, and a chevron that opens its card. */
export const QueueRow = forwardRef<HTMLButtonElement, IQueueRowProps>(function QueueRow(
  {
    approval,
    now,
    locale,
    moneyLocale,
    defaultCurrency,
    subject,
    isExpanded,
    isNew,
    panelId,
    onToggle,
    onOpenTicket,
    t,
  },
  toggleRef,
) {
  const { ticketId } = approval;
  const amount = formatAmount(approval.details, moneyLocale, defaultCurrency ?? null);
  const isPending = approval.status === 'pending';
  const urgency = expiryUrgency(approval.expiresAt, now);
  const deciders = isPending ? decidersAt(approval.policy, approval.escalatesAt, new Date(now)) : null;
  const requirement = deciders && requirementText(deciders, t);
  const label = t(isExpanded ? 'queue_hide_label' : 'queue_review_label', { summary: approval.summary });
  return (
    <ClickableRow
      data-approval-id={approval.approvalId}
      data-status={approval.status}
      data-new={isNew || undefined}
      onClick={(event) => {
        // [1] the ticket link and the toggle do their own thing; a click anywhere else opens the card
        if (!(event.target as HTMLElement).closest('button, a, input, select, textarea')) onToggle();
      }}
    >
      <TextCell>
        {ticketId ? (
          <Button isLink aria-label={t('open_ticket', { id: ticketId })} onClick={() => onOpenTicket(ticketId)}>
            #{ticketId}
          </Button>
        ) : (
          <Subtle>{t('no_ticket')}</Subtle>
        )}
        {subject && <Subline title={subject}>{subject}</Subline>}
      </TextCell>
      <TextCell>
        <Main title={humanizeAction(approval.action)}>
          {isNew && (
            <Tag hue="blue" size="small" isPill style={{ marginInlineEnd: 4 }}>
              {t('queue_new')}
            </Tag>
          )}
          {humanizeAction(approval.action)}
        </Main>
        <Subline title={approval.summary}>{approval.summary}</Subline>
        {requirement && (
          <Requirement title={requirement} data-requirement>
            {requirement}
          </Requirement>
        )}
      </TextCell>
      <FitCell data-column="amount">{amount}</FitCell>
      <FitCell>
        {approval.riskLevel ? (
          <Tag hue={RISK_HUES[approval.riskLevel]} size="small">
            {capitalize(t(`risk_${approval.riskLevel}`))}
          </Tag>
        ) : (
          <Subtle>{capitalize(t('risk_none'))}</Subtle>
        )}
      </FitCell>
      <FitCell data-column="age">
        <time dateTime={approval.createdAt} title={formatDateTime(approval.createdAt, locale)}>
          {formatShortRelative(Math.min(Date.parse(approval.createdAt), now), now, locale)}
        </time>
      </FitCell>
      <FitCell data-column="expires">
        {isPending ? (
          <Expiry dateTime={approval.expiresAt} title={formatDateTime(approval.expiresAt, locale)} $urgency={urgency}>
            {urgency === 'expired' ? t('expired') : formatShortRelative(Date.parse(approval.expiresAt), now, locale)}
          </Expiry>
        ) : (
          <Tag hue={STATUS_HUES[approval.status]} size="small" isPill>
            {t(`status_${approval.status}`)}
          </Tag>
        )}
      </FitCell>
      <FitCell>
        <ChevronButton
          ref={toggleRef}
          size="small"
          isBasic
          isRotated={isExpanded}
          aria-expanded={isExpanded}
          aria-controls={isExpanded ? panelId : undefined}
          aria-label={label}
          title={label}
          onClick={onToggle}
        />
      </FitCell>
    </ClickableRow>
  );
});

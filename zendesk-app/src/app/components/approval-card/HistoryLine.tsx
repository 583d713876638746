import styled from 'styled-components';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import { formatAgo, formatDateTime, formatRelativeTime, humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { decisionLine, whoDecided } from './decision-words';
import { Badges, Header } from './card.styles';

/**
 * The history line of a decided approval: one button, outcome · title · who · when, on one line at 320 px.
 * Only the title gives way (down to a few letters and an ellipsis); outcome, who and when are never cut:
 * when they alone are wider than the card (a long name, German), who · when takes a second line instead.
 */
const Toggle = styled.button`
  position: relative;
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  column-gap: ${({ theme }) => theme.space.xxs};
  width: 100%;
  padding: 0;
  padding-inline-end: ${({ theme }) => theme.space.sm};
  border: 0;
  background: none;
  color: inherit;
  font: inherit;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  text-align: start;
  cursor: pointer;

  &:focus-visible {
    outline: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.primaryEmphasis' })}`};
  }
`;

const Outcome = styled.span<{ $status: 'approved' | 'rejected' }>`
  flex: none;
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  color: ${({ theme, $status }) =>
    getColor({ theme, variable: $status === 'approved' ? 'foreground.success' : 'foreground.danger' })};
`;

/** The title: what is left of the first line (a basis of 0 never pushes who · when down), with an ellipsis. */
const Title = styled.span`
  flex: 1 1 0;
  min-width: min(3em, 100%);
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
`;

/** Who · when: kept whole (it moves to the next line instead); a name longer than the card wraps. */
const WhoWhen = styled.span`
  flex: 0 1 auto;
  display: flex;
  flex-wrap: wrap;
  column-gap: ${({ theme }) => theme.space.xxs};
  min-width: 0;
  max-width: 100%;
  font-weight: ${({ theme }) => theme.fontWeights.regular};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};

  & > * {
    min-width: 0;
    overflow-wrap: anywhere;
  }
`;

const When = styled.time`
  white-space: nowrap;
`;

/** At the end of the first line, in the toggle's end padding: it never pushes who · when down. */
const Chevron = styled.span`
  position: absolute;
  inset-inline-end: 0;
  top: 0;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IHistoryLineProps {
  approval: ApprovalView;
  now: number;
  titleId: string;
  bodyId: string;
  isExpanded: boolean;
  isNew: boolean;
  onToggle: () => void;
  t: Translate;
  locale: string;
}

/** The one line a decided approval shows: "Approved · Refund order · Grace Hopper · 3 minutes ago". */
export function HistoryLine({
  approval,
  now,
  titleId,
  bodyId,
  isExpanded,
  isNew,
  onToggle,
  t,
  locale,
}: IHistoryLineProps) {
  const status = approval.status === 'approved' ? 'approved' : 'rejected';
  const when = approval.decidedAt ? formatAgo(approval.decidedAt, now, locale) : '';
  // the line says it short ("2 min. ago", "vor 2 Min."), its tooltip in full
  const whenShort = approval.decidedAt
    ? formatRelativeTime(Math.min(Date.parse(approval.decidedAt), now), now, locale, 'short')
    : '';
  const who = whoDecided(approval.decidedBy, t);
  const title = humanizeAction(approval.action);
  return (
    <Header>
      <h2 id={titleId}>
        <Toggle
          type="button"
          aria-expanded={isExpanded}
          aria-controls={bodyId}
          title={`${title}: ${decisionLine(approval, t)}${when ? ` · ${when}` : ''}`}
          onClick={onToggle}
        >
          <Outcome $status={status} data-part="outcome">
            {t(`status_${status}`)}
          </Outcome>
          <Title data-part="title">{title}</Title>
          {(who || when) && (
            <WhoWhen>
              {who && <span data-part="who">· {who}</span>}
              {approval.decidedAt && (
                <When dateTime={approval.decidedAt} title={formatDateTime(approval.decidedAt, locale)} data-part="when">
                  · {whenShort}
                </When>
              )}
            </WhoWhen>
          )}
          <Chevron aria-hidden="true">{isExpanded ? '▴' : '▾'}</Chevron>
        </Toggle>
      </h2>
      {isNew && (
        <Badges>
          <Tag hue="blue" isPill size="small">
            {t('new_badge')}
          </Tag>
        </Badges>
      )}
    </Header>
  );
}

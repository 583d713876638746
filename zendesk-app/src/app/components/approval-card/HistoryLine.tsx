import styled from 'styled-components';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import { formatAgo, formatDateTime, humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { decisionLine, whoDecided } from './decision-words';
import { Badges, Header } from './card.styles';

/**
 * The history line of a decided approval: one button, outcome · title · who · when. It wraps rather than
 * cut: the title alone gives way (ellipsis); outcome, who and when are never clipped. At Zendesk's 320 px
 * the who · when part usually takes a second line.
 */
const Toggle = styled.button`
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  column-gap: ${({ theme }) => theme.space.xxs};
  width: 100%;
  padding: 0;
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

/** The title: takes the rest of the first line and is the only part that may end in an ellipsis. */
const Title = styled.span`
  flex: 1 1 6em;
  min-width: 0;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
`;

/** Who · when: kept whole (it moves to the next line instead); a name longer than the card wraps. */
const WhoWhen = styled.span`
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

const Chevron = styled.span`
  flex: none;
  margin-inline-start: auto;
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
                  · {when}
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

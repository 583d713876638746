import { useEffect, useId, useRef } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import type { Translate } from '../../lib/i18n';
import { useAnnounce } from '../LiveRegion';
import { approvalName } from './announcements';
import { Notice, PlanLines } from './card.styles';
import { errorReason } from './CardNotices';
import { outcomeStage, outcomeText } from './execution-words';
import { useExecutionRetry } from './useExecutionRetry';

const Line = styled.li<{ $isFailed: boolean }>`
  font-weight: ${({ theme, $isFailed }) => ($isFailed ? theme.fontWeights.semibold : 'inherit')};
  color: ${({ theme, $isFailed }) => ($isFailed ? getColor({ theme, variable: 'foreground.danger' }) : 'inherit')};

  &:focus-visible {
    outline: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.primaryEmphasis' })}`};
  }
`;

const Detail = styled.li`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IExecutionStatusProps {
  /** A decided approval. */
  approval: ApprovalView;
  onUpdated: (approval: ApprovalView) => void;
  locale: string;
  t: Translate;
}

/**
 * What Cheqpoint did about the decision (README "Late decisions"): the request to the system and the
 * reply to the customer, "Done: Billing answered 200 · replied to the customer", while sending (attempt
 * and when), or failed with the last status or error and Retry. Lazily loaded with the card parts.
 */
export function ExecutionStatus({ approval, onUpdated, locale, t }: IExecutionStatusProps) {
  const announce = useAnnounce();
  const lineId = useId();
  const lineRef = useRef<HTMLLIElement>(null);
  const { retry, isBusy, error, isConflict, retried } = useExecutionRetry(approval.approvalId, onUpdated);
  const text = outcomeText(approval, t, locale);
  const stage = outcomeStage(approval);

  // [1] a change while on screen is news (sent, done, failed), the state it was first shown in is not
  const shownStage = useRef(stage);
  useEffect(() => {
    if (stage === shownStage.current) return;
    shownStage.current = stage;
    if (text) announce(t('announce_decided', { name: approvalName(approval, t), outcome: text }));
  }, [stage, text, approval, announce, t]);

  // [2] a retry the gateway took removes the button that had focus: focus goes to the line saying what now
  useEffect(() => {
    if (retried > 0) lineRef.current?.focus();
  }, [retried]);

  if (!text) return null;
  const { execution } = approval;
  const isFailed = execution?.status === 'failed' || approval.customerReply?.status === 'failed';
  return (
    <div data-testid="execution-status" data-execution={execution?.status} data-reply={approval.customerReply?.status}>
      <PlanLines>
        <Line id={lineId} ref={lineRef} tabIndex={-1} $isFailed={isFailed}>
          {text}
        </Line>
        {execution?.lastError && execution.status !== 'succeeded' && <Detail>{execution.lastError}</Detail>}
      </PlanLines>
      {execution?.status === 'failed' && (
        <Notice>
          <Button size="small" onClick={() => void retry()} disabled={isBusy} aria-describedby={lineId}>
            {t('exec_retry')}
          </Button>
        </Notice>
      )}
      {isConflict && (
        <Notice>
          <Alert type="warning">{t('exec_retry_conflict')}</Alert>
        </Notice>
      )}
      {error && (
        <Notice>
          <Alert type="error" role="alert">
            {t('exec_retry_failed', { reason: errorReason(error.kind, t, error.status) })}
          </Alert>
        </Notice>
      )}
    </div>
  );
}

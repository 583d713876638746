import { useCallback, useRef } from 'react';
import styled from 'styled-components';
import { ApprovalCard } from '../components/ApprovalCard';
import { CardSkeleton } from '../components/CardSkeleton';
import { EmptyState, ErrorState } from '../components/StatusMessage';
import { TICKET_EVENTS, useApprovals } from '../hooks/useApprovals';
import { useAutoResize } from '../hooks/useAutoResize';
import { useClient } from '../hooks/useClient';
import { useNow } from '../hooks/useNow';

export const Column = styled.main`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};
  padding: ${({ theme }) => theme.space.xxs} 0 ${({ theme }) => theme.space.sm};
`;

/** Text for screen readers only. */
export const VisuallyHidden = styled.span`
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
`;

/** The ticket sidebar: this ticket's approvals, pending first. */
export function TicketSidebar() {
  const { gateway, ticketId, t } = useClient();
  const ref = useRef<HTMLElement>(null);
  const load = useCallback(async () => (ticketId ? gateway.listForTicket(ticketId) : []), [gateway, ticketId]);
  const { status, approvals, error, refresh, replace } = useApprovals(load, TICKET_EVENTS);
  const now = useNow();
  useAutoResize(ref);

  return (
    <Column ref={ref} aria-label={t('sidebar_label')} aria-busy={status === 'loading'}>
      {status === 'loading' && (
        <>
          <VisuallyHidden role="status">{t('loading')}</VisuallyHidden>
          <CardSkeleton />
        </>
      )}
      {status === 'error' && <ErrorState error={error} onRetry={() => void refresh()} t={t} />}
      {status === 'ready' && error && <ErrorState error={error} onRetry={() => void refresh()} t={t} isInline />}
      {status === 'ready' && approvals.length === 0 && <EmptyState title={t('empty_title')} body={t('empty_body')} />}
      {approvals.map((approval) => (
        <ApprovalCard key={approval.approvalId} approval={approval} now={now} onUpdated={replace} />
      ))}
    </Column>
  );
}

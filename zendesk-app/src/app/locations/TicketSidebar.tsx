import { useCallback, useMemo, useRef } from 'react';
import styled from 'styled-components';
import type { LiveQuery } from '../api/gateway-client';
import { ApprovalCard } from '../components/ApprovalCard';
import { ArrivalAnnouncer } from '../components/ArrivalAnnouncer';
import { CardSkeleton } from '../components/CardSkeleton';
import { LiveRegionProvider, VisuallyHidden } from '../components/LiveRegion';
import { EmptyState, ErrorState } from '../components/StatusMessage';
import { TICKET_EVENTS, useApprovals } from '../hooks/useApprovals';
import { useAutoResize } from '../hooks/useAutoResize';
import { useClient } from '../hooks/useClient';
import { useFocusAfterDecision } from '../hooks/useFocusAfterDecision';
import { deadlinesOf, useNow } from '../hooks/useNow';
import { useSessionOrder } from '../hooks/useSessionOrder';

export { VisuallyHidden };
export { sidebarOrder } from '../hooks/useSessionOrder';

export const Column = styled.main`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.xs};
  padding: ${({ theme }) => theme.space.xxs} 0 ${({ theme }) => theme.space.sm};
`;

/** The card an event happened in (its data-approval-id), if any. */
const cardIdOf = (target: EventTarget) =>
  target instanceof Element ? (target.closest('[data-approval-id]')?.getAttribute('data-approval-id') ?? null) : null;

/**
 * The ticket sidebar: this ticket's approvals, pending first, then a compact history; while it is open,
 * arrivals go on top (marked New) and decided cards fold where they are (useSessionOrder).
 */
export function TicketSidebar() {
  const { gateway, ticketId, t } = useClient();
  const ref = useRef<HTMLElement>(null);
  const load = useCallback(
    async (live?: LiveQuery) => (ticketId ? gateway.pageForTicket(ticketId, live) : []),
    [gateway, ticketId],
  );
  const isNotified = useCallback(
    (body: { ticketId?: unknown }) => body.ticketId === undefined || String(body.ticketId) === ticketId,
    [ticketId],
  );
  const { status, approvals, error, refresh, replace, newIds, seen } = useApprovals(load, TICKET_EVENTS, {
    isNotified,
  });
  const ordered = useSessionOrder(approvals);
  const deadlines = useMemo(() => deadlinesOf(ordered), [ordered]);
  const now = useNow(deadlines);
  // The agent touched a card (click, key, focus): it is no longer new.
  const onTouch = (event: { target: EventTarget }) => {
    const id = cardIdOf(event.target);
    if (id && newIds.has(id)) seen(id);
  };
  useAutoResize(ref);
  const onSettled = useFocusAfterDecision(ref);
  const pendingCount = ordered.filter((a) => a.status === 'pending').length;

  return (
    <LiveRegionProvider
      status={
        status === 'loading' ? t('loading') : status === 'ready' ? t('sidebar_count', { count: pendingCount }) : ''
      }
    >
      <ArrivalAnnouncer approvals={approvals} newIds={newIds} t={t} />
      <Column
        ref={ref}
        aria-labelledby="cheqpoint-sidebar-title"
        aria-busy={status === 'loading'}
        onPointerDown={onTouch}
        onKeyDown={onTouch}
      >
        <VisuallyHidden as="h1" id="cheqpoint-sidebar-title">
          {ticketId ? t('sidebar_title', { id: ticketId }) : t('sidebar_label')}
        </VisuallyHidden>
        {status === 'loading' && <CardSkeleton />}
        {status === 'error' && <ErrorState error={error} onRetry={() => void refresh()} t={t} />}
        {status === 'ready' && error && <ErrorState error={error} onRetry={() => void refresh()} t={t} isInline />}
        {status === 'ready' && approvals.length === 0 && <EmptyState title={t('empty_title')} body={t('empty_body')} />}
        {ordered.map((approval) => (
          <ApprovalCard
            key={approval.approvalId}
            approval={approval}
            now={now}
            onUpdated={replace}
            isNew={newIds.has(approval.approvalId)}
            collapsesWhenDecided
            onSettled={onSettled}
          />
        ))}
      </Column>
    </LiveRegionProvider>
  );
}

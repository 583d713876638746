import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import type { LiveQuery } from '../../api/gateway-client';
import { useApprovals } from '../../hooks/useApprovals';
import { useClient } from '../../hooks/useClient';
import { deadlinesOf, useNow } from '../../hooks/useNow';
import { CardSkeleton } from '../CardSkeleton';
import { LiveRegionProvider } from '../LiveRegion';
import { EmptyState, ErrorState } from '../StatusMessage';
import { QueuePager } from './QueuePager';
import { QueueTable } from './QueueTable';
import { QueueToolbar } from './QueueToolbar';
import {
  DEFAULT_SORT,
  FIRST_DIRECTION,
  canDecideByDefault,
  QUEUE_FETCH_LIMIT,
  filterApprovals,
  pageOf,
  sortApprovals,
  type IQueueFilters,
  type IQueueSort,
  type QueueSortKey,
} from './queue-model';
import { useTicketSubjects } from './useTicketSubjects';

const Page = styled.main`
  max-width: 1200px;
  margin: 0 auto;
  padding: ${({ theme }) => `${theme.space.md} ${theme.space.lg}`};
`;

const Header = styled.div`
  display: flex;
  align-items: baseline;
  gap: ${({ theme }) => theme.space.md};

  h1 {
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.xl};
    line-height: ${({ theme }) => theme.lineHeights.xl};
  }

  h1:focus {
    outline: none;
  }
`;

const Count = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const NoMatch = styled.div`
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.sm};
`;

const NO_FILTERS: IQueueFilters = { action: '', risk: '', canDecide: false };

/**
 * The nav-bar queue, built for triage: every pending approval of the account in a table, sortable by expiry,
 * risk and age, filterable by action and risk, 25 rows a page; a row opens its ticket or expands to its card.
 */
export function QueueView() {
  const { gateway, client, t, locale, currentUser, defaultCurrency } = useClient();
  // [5] "Can decide" is undecided (undefined) until the agent sets it: then its default follows the list
  const [chosen, setFilters] = useState<IQueueFilters>({ action: '', risk: '' });
  const [sort, setSort] = useState<IQueueSort>(DEFAULT_SORT);
  const [page, setPage] = useState(0);
  const [expandedId, setExpandedId] = useState<string | null>(null);
  // [1] approvals decided from this queue stay in their row (showing the outcome) until the agent closes them,
  // although the next refresh of the pending list no longer has them
  const [kept, setKept] = useState<ReadonlyMap<string, ApprovalView>>(() => new Map());
  const [knownActions, setKnownActions] = useState<string[]>([]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const toggleRefs = useRef(new Map<string, HTMLButtonElement>());
  const focusNext = useRef<string | null>(null);

  // [2] the action filter also goes to the gateway, so it finds matches beyond the first 200 pending; a new
  // loader (another action) makes useApprovals list again and hold its next call for that action
  const load = useCallback(
    (live?: LiveQuery) =>
      gateway.pagePending({ limit: QUEUE_FETCH_LIMIT, ...(chosen.action ? { action: chosen.action } : {}) }, live),
    [gateway, chosen.action],
  );
  const { status, approvals, error, refresh, replace, newIds, seen } = useApprovals(load);

  useEffect(() => {
    if (chosen.action) return;
    setKnownActions((prev) => [...new Set([...prev, ...approvals.map((a) => a.action)])].sort());
  }, [approvals, chosen.action]);

  const all = useMemo(
    () => [...approvals.filter((a) => a.status === 'pending' && !kept.has(a.approvalId)), ...kept.values()],
    [approvals, kept],
  );
  const agent = useMemo(
    () => ({ id: currentUser.id, role: currentUser.role ?? null, groups: currentUser.groups }),
    [currentUser],
  );
  const filters = useMemo<IQueueFilters>(
    () => ({ ...chosen, canDecide: chosen.canDecide ?? canDecideByDefault(all, { agent, now: Date.now() }) }),
    [chosen, all, agent],
  );
  const visible = useMemo(
    () => sortApprovals(filterApprovals(all, filters, { agent, now: Date.now() }), sort),
    [all, filters, agent, sort],
  );
  const shown = pageOf(visible, page);
  const now = useNow(deadlinesOf(shown.rows));
  const subjects = useTicketSubjects(
    client,
    shown.rows.map((a) => a.ticketId),
  );

  // the expanded approval left the list (decided elsewhere): close it, and keep focus on the page
  const isExpandedGone = expandedId !== null && !visible.some((a) => a.approvalId === expandedId);
  useEffect(() => {
    if (!isExpandedGone) return;
    setExpandedId(null);
    if (document.activeElement === document.body) headingRef.current?.focus();
  }, [isExpandedGone]);

  useEffect(() => {
    if (focusNext.current === null) return;
    const target = toggleRefs.current.get(focusNext.current) ?? headingRef.current;
    focusNext.current = null;
    target?.focus();
  });

  const onUpdated = useCallback(
    (approval: ApprovalView) => {
      replace(approval);
      if (approval.status !== 'pending') setKept((prev) => new Map(prev).set(approval.approvalId, approval));
    },
    [replace],
  );

  function onToggle(approvalId: string) {
    const isClosing = expandedId === approvalId;
    if (isClosing && kept.has(approvalId)) {
      // [3] the decided row goes away with its card: move focus to the row that takes its place
      const index = shown.rows.findIndex((a) => a.approvalId === approvalId);
      focusNext.current = shown.rows[index + 1]?.approvalId ?? shown.rows[index - 1]?.approvalId ?? '';
    }
    setKept((prev) => {
      const next = new Map([...prev].filter(([id]) => id !== expandedId));
      return next.size === prev.size ? prev : next;
    });
    setExpandedId(isClosing ? null : approvalId);
    seen(approvalId); // the agent looked at it: no longer marked new
  }

  function onSort(key: QueueSortKey) {
    setSort((prev) =>
      prev.key === key
        ? { key, direction: prev.direction === 'asc' ? 'desc' : 'asc' }
        : { key, direction: FIRST_DIRECTION[key] },
    );
    setPage(0);
  }

  function onFilters(next: IQueueFilters) {
    setFilters(next);
    setPage(0);
  }

  const openTicket = (ticketId: string) => void client.invoke('routeTo', 'ticket', ticketId);
  const pendingCount = visible.filter((a) => a.status === 'pending').length;
  const isCapped = approvals.length >= QUEUE_FETCH_LIMIT;
  const countText =
    status === 'loading'
      ? t('loading')
      : [t('queue_count', { count: pendingCount }), isCapped ? t('queue_capped', { limit: QUEUE_FETCH_LIMIT }) : '']
          .filter(Boolean)
          .join(' ');

  return (
    <LiveRegionProvider status={status === 'error' ? '' : countText}>
      <Page aria-label={t('queue_label')} aria-busy={status === 'loading'}>
        <Header>
          <h1 ref={headingRef} tabIndex={-1}>
            {t('queue_title')}
          </h1>
          {/* [4] read once, from the live region: the visible copy is hidden from screen readers */}
          {status !== 'error' && (
            <Count data-testid="queue-count" aria-hidden="true">
              {countText}
            </Count>
          )}
        </Header>
        <QueueToolbar
          filters={filters}
          actions={[...new Set([...knownActions, ...(filters.action ? [filters.action] : [])])]}
          onChange={onFilters}
          onRefresh={() => void refresh()}
          t={t}
        />
        {status === 'error' && <ErrorState error={error} onRetry={() => void refresh()} t={t} />}
        {status === 'ready' && error && <ErrorState error={error} onRetry={() => void refresh()} t={t} isInline />}
        {status === 'loading' && <CardSkeleton />}
        {status === 'ready' && all.length === 0 && (
          <EmptyState title={t('queue_empty_title')} body={t('queue_empty_body')} />
        )}
        {status === 'ready' && all.length > 0 && visible.length === 0 && (
          <NoMatch>
            <EmptyState title={t('queue_no_match_title')} body={t('queue_no_match_body')} />
            <Button size="small" onClick={() => onFilters(NO_FILTERS)}>
              {t('queue_clear_filters')}
            </Button>
          </NoMatch>
        )}
        {status !== 'loading' && visible.length > 0 && (
          <QueueTable
            rows={shown.rows}
            sort={sort}
            onSort={onSort}
            expandedId={expandedId}
            onToggle={onToggle}
            subjects={subjects}
            newIds={newIds}
            now={now}
            locale={locale}
            moneyLocale={currentUser.locale ?? locale}
            defaultCurrency={defaultCurrency ?? null}
            onUpdated={onUpdated}
            onOpenTicket={openTicket}
            toggleRefs={toggleRefs}
            t={t}
          />
        )}
        <QueuePager page={shown} total={visible.length} onPage={setPage} t={t} />
      </Page>
    </LiveRegionProvider>
  );
}

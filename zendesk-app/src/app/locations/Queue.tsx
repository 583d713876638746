import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Select } from '@zendeskgarden/react-forms';
import { ApprovalCard } from '../components/ApprovalCard';
import { CardSkeleton } from '../components/CardSkeleton';
import { EmptyState, ErrorState } from '../components/StatusMessage';
import { useApprovals } from '../hooks/useApprovals';
import { useClient } from '../hooks/useClient';
import { useNow } from '../hooks/useNow';
import { humanizeAction } from '../lib/format';

const Page = styled.main`
  max-width: 720px;
  margin: 0 auto;
  padding: ${({ theme }) => theme.space.lg};

  h1 {
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.xl};
  }
`;

const Toolbar = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.md};
  margin: ${({ theme }) => theme.space.md} 0;
`;

const Cards = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};
`;

/** The nav-bar queue: every pending approval of the account, oldest first, filterable by action. */
export function Queue() {
  const { gateway, client, t } = useClient();
  const [action, setAction] = useState('');
  const [knownActions, setKnownActions] = useState<string[]>([]);
  const load = useCallback(() => gateway.listPending(action ? { action } : {}), [gateway, action]);
  const { status, approvals, error, refresh, replace } = useApprovals(load);
  const now = useNow();

  const isFirstFilter = useRef(true);
  useEffect(() => {
    if (isFirstFilter.current) isFirstFilter.current = false;
    else void refresh(); // [1] the filter changed: useApprovals did the first load itself
  }, [action]); // only the filter triggers this

  useEffect(() => {
    if (action) return;
    setKnownActions((prev) => [...new Set([...prev, ...approvals.map((a) => a.action)])].sort());
  }, [approvals, action]);

  const pending = useMemo(() => approvals.filter((a) => a.status === 'pending').length, [approvals]);
  const openTicket = (ticketId: string) => void client.invoke('routeTo', 'ticket', ticketId);

  return (
    <Page aria-label={t('queue_label')} aria-busy={status === 'loading'}>
      <h1>{t('queue_title')}</h1>
      <Toolbar>
        <Field>
          <Field.Label>{t('filter_action')}</Field.Label>
          <Select isCompact value={action} onChange={(event) => setAction(event.target.value)}>
            <option value="">{t('filter_all')}</option>
            {knownActions.map((name) => (
              <option key={name} value={name}>
                {humanizeAction(name)}
              </option>
            ))}
          </Select>
        </Field>
        <span role="status">{status === 'ready' ? t('queue_count', { count: pending }) : t('loading')}</span>
        <Button size="small" onClick={() => void refresh()}>
          {t('refresh')}
        </Button>
      </Toolbar>
      {status === 'error' && <ErrorState error={error} onRetry={() => void refresh()} t={t} />}
      {status === 'ready' && error && <ErrorState error={error} onRetry={() => void refresh()} t={t} isInline />}
      {status === 'loading' && <CardSkeleton />}
      {status === 'ready' && approvals.length === 0 && (
        <EmptyState title={t('queue_empty_title')} body={t('queue_empty_body')} />
      )}
      <Cards>
        {approvals.map((approval) => (
          <ApprovalCard
            key={approval.approvalId}
            approval={approval}
            now={now}
            onUpdated={replace}
            onOpenTicket={openTicket}
          />
        ))}
      </Cards>
    </Page>
  );
}

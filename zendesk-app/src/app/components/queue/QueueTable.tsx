import { Fragment, type MutableRefObject } from 'react';
import styled from 'styled-components';
import { Table } from '@zendeskgarden/react-tables';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../../api/approval-view';
import type { Translate, UiKey } from '../../lib/i18n';
import { ApprovalCard } from '../ApprovalCard';
import { VisuallyHidden } from '../LiveRegion';
import { QueueRow } from './QueueRow';
import type { IQueueSort, QueueSortKey } from './queue-model';

/** A column as narrow as its widest value: the header's `width: 1px` in an auto-layout table [1]. */
const FIT = '1px';

// [1] the number columns (amount, risk, age, expiry) are exactly as wide as their widest value, in whatever
// locale, and never cut one; the ticket takes a share and the action the rest, and those two truncate their
// text (QueueRow) instead of widening the table, so the action still reads at 768 px
const COLUMNS: { label: UiKey; width?: string; sortKey?: QueueSortKey; isHidden?: boolean }[] = [
  { label: 'queue_col_ticket', width: '20%' },
  { label: 'queue_col_action' },
  { label: 'queue_col_amount', width: FIT },
  { label: 'queue_col_risk', width: FIT, sortKey: 'risk' },
  { label: 'queue_col_age', width: FIT, sortKey: 'age' },
  { label: 'queue_col_expires', width: FIT, sortKey: 'expiry' },
  { label: 'queue_col_review', width: FIT, isHidden: true },
];

/** Garden's table is `table-layout: fixed`, which sizes columns from the header alone and cuts longer values. */
const AutoTable = styled(Table)`
  table-layout: auto;

  th {
    white-space: nowrap;
  }
`;

const PanelRow = styled.tr`
  border-bottom: ${({ theme }) => `${theme.borders.sm} ${getColor({ theme, variable: 'border.default' })}`};

  > td {
    padding: ${({ theme }) => `${theme.space.xs} ${theme.space.sm} ${theme.space.sm}`};
  }
`;

const PanelBody = styled.div`
  max-width: 640px;
`;

export interface IQueueTableProps {
  rows: readonly ApprovalView[];
  sort: IQueueSort;
  onSort: (key: QueueSortKey) => void;
  expandedId: string | null;
  onToggle: (approvalId: string) => void;
  /** Ticket subjects by ticket id. */
  subjects: Record<string, string>;
  newIds: ReadonlySet<string>;
  now: number;
  locale: string;
  moneyLocale: string;
  /** The app's `defaultCurrency` setting, for amounts that name no currency. */
  defaultCurrency: string | null;
  onUpdated: (approval: ApprovalView) => void;
  onOpenTicket: (ticketId: string) => void;
  /** Each row's Review button, by approval id, so focus can move between rows. */
  toggleRefs: MutableRefObject<Map<string, HTMLButtonElement>>;
  t: Translate;
}

export const panelIdOf = (approvalId: string) => `queue-panel-${approvalId}`;

/** The queue as a Garden table: sortable by risk, age and expiry; a row expands to its card to decide inline. */
export function QueueTable(props: IQueueTableProps) {
  const { rows, sort, onSort, expandedId, onToggle, subjects, newIds, now, locale, moneyLocale, t } = props;
  const { defaultCurrency } = props;
  return (
    <AutoTable size="small" aria-label={t('queue_title')}>
      <Table.Head>
        <Table.HeaderRow>
          {COLUMNS.map(({ label, width, sortKey, isHidden }) =>
            sortKey ? (
              <Table.SortableCell
                key={label}
                width={width}
                sort={sort.key === sortKey ? sort.direction : undefined}
                onClick={() => onSort(sortKey)}
              >
                {t(label)}
              </Table.SortableCell>
            ) : (
              <Table.HeaderCell key={label} width={width}>
                {isHidden ? <VisuallyHidden>{t(label)}</VisuallyHidden> : t(label)}
              </Table.HeaderCell>
            ),
          )}
        </Table.HeaderRow>
      </Table.Head>
      <Table.Body>
        {rows.map((approval) => {
          const id = approval.approvalId;
          const isExpanded = id === expandedId;
          return (
            <Fragment key={id}>
              <QueueRow
                ref={(button) => {
                  if (button) props.toggleRefs.current.set(id, button);
                  else props.toggleRefs.current.delete(id);
                }}
                approval={approval}
                now={now}
                locale={locale}
                moneyLocale={moneyLocale}
                defaultCurrency={defaultCurrency}
                {...(approval.ticketId && subjects[approval.ticketId] ? { subject: subjects[approval.ticketId] } : {})}
                isExpanded={isExpanded}
                isNew={newIds.has(id)}
                panelId={panelIdOf(id)}
                onToggle={() => onToggle(id)}
                onOpenTicket={props.onOpenTicket}
                t={t}
              />
              {isExpanded && (
                <PanelRow id={panelIdOf(id)} data-panel-for={id}>
                  <td colSpan={COLUMNS.length}>
                    <PanelBody>
                      <ApprovalCard
                        approval={approval}
                        now={now}
                        onUpdated={props.onUpdated}
                        onOpenTicket={props.onOpenTicket}
                      />
                    </PanelBody>
                  </td>
                </PanelRow>
              )}
            </Fragment>
          );
        })}
      </Table.Body>
    </AutoTable>
  );
}

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

// [1] fixed widths for the short columns, the ticket a share, the action the rest (table-layout: fixed), so the
// action still reads at 768 px
const COLUMNS: { label: UiKey; width?: string; sortKey?: QueueSortKey; isHidden?: boolean }[] = [
  { label: 'queue_col_ticket', width: '20%' },
  { label: 'queue_col_action' },
  { label: 'queue_col_amount', width: '92px' },
  { label: 'queue_col_risk', width: '84px', sortKey: 'risk' },
  { label: 'queue_col_age', width: '100px', sortKey: 'age' },
  { label: 'queue_col_expires', width: '104px', sortKey: 'expiry' },
  { label: 'queue_col_review', width: '48px', isHidden: true },
];

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
  return (
    <Table size="small" aria-label={t('queue_title')}>
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
    </Table>
  );
}

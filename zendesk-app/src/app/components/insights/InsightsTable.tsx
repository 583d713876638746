import styled from 'styled-components';
import { Table } from '@zendeskgarden/react-tables';
import { getColor } from '@zendeskgarden/react-theming';
import type { ActionInsights, InsightTotals } from '@cheqpoint/shared';
import { humanizeAction } from '../../lib/format';
import type { InsightsKey, InsightsTranslate } from './insights-i18n';
import { formatCount, formatDuration, formatShare } from './insights-format';

/** A column: its header and how it reads one row's numbers (null: nothing to divide by, shown as a dash). */
type Column = { label: InsightsKey; value: (row: InsightTotals, locale: string) => string | null };

const COLUMNS: Column[] = [
  { label: 'col_requests', value: (row, locale) => formatCount(row.requests, locale) },
  { label: 'col_by_policy', value: (row, locale) => formatShare(row.shares.byPolicy, locale) },
  { label: 'col_by_people', value: (row, locale) => formatShare(row.shares.byPeople, locale) },
  { label: 'col_approval_rate', value: (row, locale) => formatShare(row.shares.approvalRate, locale) },
  { label: 'col_change_rate', value: (row, locale) => formatShare(row.shares.changeRate, locale) },
  { label: 'col_p50', value: (row, locale) => formatDuration(row.timeToDecision.p50Seconds, locale) },
  { label: 'col_p90', value: (row, locale) => formatDuration(row.timeToDecision.p90Seconds, locale) },
  { label: 'col_within_wait', value: (row, locale) => formatShare(row.shares.withinWait, locale) },
  { label: 'col_expired', value: (row, locale) => formatCount(row.expired, locale) },
];

/** The columns' keys in order, for tests and the browser test that compare them with the API. */
export const INSIGHT_COLUMNS = COLUMNS.map((column) => column.label);

// Garden's table is `table-layout: fixed` (columns cut to the header's width): numbers must never be cut
const AutoTable = styled(Table)`
  table-layout: auto;

  th {
    white-space: nowrap;
  }

  td[data-numeric],
  th[data-numeric] {
    text-align: end;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }

  tr[data-total] {
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    border-top: ${({ theme }) => `${theme.borders.md} ${getColor({ theme, variable: 'border.emphasis' })}`};
  }
`;

/** The action's cell is the row's header: a Garden cell rendered as `th`. */
const RowHeader = styled(Table.Cell)`
  font-weight: inherit;
  text-align: start;
`;

const Wrap = styled.div`
  overflow-x: auto;
`;

const Legend = styled.p`
  margin: ${({ theme }) => `${theme.space.xs} 0 0`};
  max-width: 80ch;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  font-size: ${({ theme }) => theme.fontSizes.sm};
`;

function Row({
  row,
  name,
  action,
  locale,
  tr,
  isTotal = false,
}: {
  row: InsightTotals;
  name: string;
  action?: string;
  locale: string;
  tr: InsightsTranslate;
  isTotal?: boolean;
}) {
  return (
    <Table.Row data-action={action} data-total={isTotal ? '' : undefined}>
      <RowHeader forwardedAs="th" scope="row" title={action}>
        {name}
      </RowHeader>
      {COLUMNS.map((column) => (
        <Table.Cell key={column.label} data-numeric="" data-column={column.label}>
          {column.value(row, locale) ?? tr('not_applicable')}
        </Table.Cell>
      ))}
    </Table.Row>
  );
}

export interface IInsightsTableProps {
  actions: readonly ActionInsights[];
  total: InsightTotals;
  locale: string;
  tr: InsightsTranslate;
}

/** One row per action (most requests first, as the gateway orders them) and a total row. */
export function InsightsTable({ actions, total, locale, tr }: IInsightsTableProps) {
  return (
    <section aria-labelledby="insights-table-caption">
      <Wrap>
        <AutoTable size="small" data-testid="insights-table">
          <Table.Caption id="insights-table-caption">{tr('table_caption')}</Table.Caption>
          <Table.Head>
            <Table.HeaderRow>
              <Table.HeaderCell scope="col">{tr('col_action')}</Table.HeaderCell>
              {COLUMNS.map((column) => (
                <Table.HeaderCell key={column.label} scope="col" data-numeric="">
                  {tr(column.label)}
                </Table.HeaderCell>
              ))}
            </Table.HeaderRow>
          </Table.Head>
          <Table.Body>
            {actions.map((row) => (
              <Row
                key={row.action}
                row={row}
                name={humanizeAction(row.action)}
                action={row.action}
                locale={locale}
                tr={tr}
              />
            ))}
            <Row row={total} name={tr('total')} locale={locale} tr={tr} isTotal />
          </Table.Body>
        </AutoTable>
      </Wrap>
      <Legend>{tr('table_legend')}</Legend>
    </section>
  );
}

import { useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { getColor } from '@zendeskgarden/react-theming';
import { detailRows, type IDetailRow } from '../lib/detail-rows';
import { formatMoney, humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { ClampedText } from './ClampedText';
import { VisuallyHidden } from './visually-hidden';

/** Labels longer than this sit above their value, so the value keeps the card's width. */
const STACK_LABEL_CHARACTERS = 18;
/** Rows shown before "Show all details". */
export const DETAIL_ROWS_SHOWN = 6;

export const List = styled.dl<{ $depth?: number }>`
  display: grid;
  /* [1] the key column takes what its keys need but at most 40 %: values always keep 60 % or more */
  grid-template-columns: fit-content(40%) minmax(0, 1fr);
  gap: ${({ theme }) => `${theme.space.xxs} ${theme.space.sm}`};
  margin: 0;
  padding-left: ${({ theme, $depth = 0 }) => ($depth > 0 ? theme.space.sm : 0)};
  border-left: ${({ theme, $depth = 0 }) =>
    $depth > 0 ? `${theme.borders.sm} ${getColor({ theme, variable: 'border.default' })}` : 'none'};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};

  dt {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
    overflow-wrap: anywhere;
  }

  dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }

  [data-stacked='true'] {
    grid-column: 1 / -1;
  }

  dd[data-stacked='true'] {
    margin-top: -${({ theme }) => theme.space.xxs};
  }

  del {
    margin-left: ${({ theme }) => theme.space.xxs};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  ins {
    text-decoration: none;
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }
`;

/** Numbers and amounts never break inside (`112.40` must not become `112.4 / 0`). */
const Whole = styled.span`
  white-space: nowrap;
`;

const isScalar = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

export interface IDetailValueProps {
  value: unknown;
  currency?: string;
  locale: string;
  depth?: number;
  t: Translate;
}

/** One value: amounts in the agent's locale, text clamped when long, nested objects as indented lists. */
export function DetailValue({ value, currency, locale, depth = 0, t }: IDetailValueProps) {
  if (value === null || value === undefined) return <>{t('value_null')}</>;
  if (typeof value === 'boolean') return <>{t(value ? 'value_true' : 'value_false')}</>;
  if (typeof value === 'number') {
    const money = currency ? formatMoney(value, currency, locale) : null;
    return <Whole>{money ?? String(value)}</Whole>;
  }
  if (typeof value === 'string') return <ClampedText text={value} t={t} />;
  if (Array.isArray(value)) {
    if (value.length === 0) return <>{t('value_null')}</>;
    if (value.every(isScalar))
      return <>{value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}</>;
    const entries = Object.fromEntries(value.map((item, index) => [String(index + 1), item]));
    return <NestedList details={entries} locale={locale} depth={depth + 1} t={t} />;
  }
  const object = value as Record<string, unknown>;
  if (Object.keys(object).length === 0) return <>{t('value_null')}</>;
  return <NestedList details={object} locale={locale} depth={depth + 1} t={t} />;
}

function NestedList({
  details,
  locale,
  depth,
  t,
}: {
  details: Record<string, unknown>;
  locale: string;
  depth: number;
  t: Translate;
}) {
  return (
    <List $depth={depth}>
      {Object.entries(details).map(([key, value]) => (
        <Row key={key} row={{ key, label: humanizeKey(key), value }} locale={locale} depth={depth} t={t} />
      ))}
    </List>
  );
}

function Row({ row, locale, depth, t }: { row: IDetailRow; locale: string; depth: number; t: Translate }) {
  const isNested = row.value !== null && typeof row.value === 'object';
  const isStacked = row.label.length > STACK_LABEL_CHARACTERS || isNested;
  const { change } = row;
  return (
    <div style={{ display: 'contents' }} data-detail={row.key}>
      <dt title={row.key} data-stacked={isStacked}>
        {row.label}
      </dt>
      <dd data-stacked={isStacked}>
        {change?.type === 'removed' ? (
          <>
            <del>
              <DetailValue value={change.original} currency={change.originalCurrency} locale={locale} t={t} />
            </del>{' '}
            ({t('change_removed')})
          </>
        ) : change ? (
          <>
            <ins>
              <DetailValue value={row.value} currency={row.currency} locale={locale} depth={depth} t={t} />
            </ins>
            {change.type === 'added' ? (
              <> ({t('change_added')})</>
            ) : (
              <>
                {' '}
                <VisuallyHidden>{`${t('was')} `}</VisuallyHidden>
                <del>
                  <DetailValue value={change.original} currency={change.originalCurrency} locale={locale} t={t} />
                </del>
              </>
            )}
          </>
        ) : (
          <DetailValue value={row.value} currency={row.currency} locale={locale} depth={depth} t={t} />
        )}
      </dd>
    </div>
  );
}

export interface IDetailsListProps {
  /** The approval's free-form details, as the AI agent sent them. */
  details: Record<string, unknown>;
  /** The approval's ticket: its `ticket_id` detail is not repeated. */
  ticketId?: string | null;
  /** After an approval with changes: the approved details, shown with the originals beside them. */
  modified?: Record<string, unknown> | null;
  locale: string;
  t: Translate;
}

/** The details as a readable key/value list; long lists show their first rows until asked. */
export function DetailsList({ details, ticketId, modified, locale, t }: IDetailsListProps) {
  const [isAll, setIsAll] = useState(false);
  const rows = detailRows(details, { ticketId, modified });
  // [2] changed rows always show: they are what the decision was about
  const visible =
    isAll || rows.length <= DETAIL_ROWS_SHOWN + 1
      ? rows
      : rows.filter((row, index) => index < DETAIL_ROWS_SHOWN || row.change);
  if (rows.length === 0) return <p>{t('value_null')}</p>;
  return (
    <>
      <List>
        {visible.map((row) => (
          <Row key={row.key} row={row} locale={locale} depth={0} t={t} />
        ))}
      </List>
      {visible.length < rows.length && (
        <Button size="small" isLink onClick={() => setIsAll(true)}>
          {t('show_all_details', { count: rows.length })}
        </Button>
      )}
    </>
  );
}

import { useContext, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { getColor } from '@zendeskgarden/react-theming';
import { ClientContext } from '../contexts/ClientProvider';
import { detailRows, type IDetailRow } from '../lib/detail-rows';
import { formatDetailScalar, formatMoneyValue, moneyOf } from '../lib/money';
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

/**
 * [3] Numbers and money follow the agent's own Zendesk locale (`en-GB`, `de-CH`) when the app knows it, as in
 * the queue; `locale` (the app's language) otherwise.
 */
const useNumberLocale = (locale: string) => useContext(ClientContext)?.currentUser.locale ?? locale;
/** The app's `defaultCurrency` setting, unless the caller names one (or null for none). */
const useDefaultCurrency = (given: string | null | undefined) => {
  const setting = useContext(ClientContext)?.defaultCurrency ?? null;
  return given === undefined ? setting : given;
};

export interface IDetailValueProps {
  value: unknown;
  /** The detail's key (a list's key for its items): says whether a number is money or an identifier. */
  name?: string;
  /** The currency in force where the value sits (its level's `currency`, a parent's, or the default). */
  currency?: string | null;
  locale: string;
  depth?: number;
  t: Translate;
}

/** One value: money and numbers in the agent's locale, text clamped when long, nested objects as indented lists. */
export function DetailValue({ value, name = '', currency = null, locale, depth = 0, t }: IDetailValueProps) {
  const numberLocale = useNumberLocale(locale);
  const words = (item: unknown) =>
    item === null || item === undefined
      ? t('value_null')
      : typeof item === 'boolean'
        ? t(item ? 'value_true' : 'value_false')
        : (formatDetailScalar(name, item, currency, numberLocale) ?? JSON.stringify(item));
  const money = moneyOf(name, value, currency);
  if (money) return <Whole data-money={money.currency ?? ''}>{formatMoneyValue(money, numberLocale)}</Whole>;
  if (value === null || value === undefined || typeof value === 'boolean') return <>{words(value)}</>;
  if (typeof value === 'number') return <Whole>{words(value)}</Whole>;
  if (typeof value === 'string') return <ClampedText text={value} t={t} />;
  if (Array.isArray(value)) {
    if (value.length === 0) return <>{t('value_null')}</>;
    if (value.every(isScalar)) return <>{value.map(words).join(', ')}</>;
    // [4] list items are the list's own: `prices: [10, 12]` are prices, in the list's currency
    const entries = Object.fromEntries(value.map((item, index) => [String(index + 1), item]));
    return <NestedList details={entries} itemKey={name} currency={currency} locale={locale} depth={depth + 1} t={t} />;
  }
  const object = value as Record<string, unknown>;
  if (Object.keys(object).length === 0) return <>{t('value_null')}</>;
  return <NestedList details={object} currency={currency} locale={locale} depth={depth + 1} t={t} />;
}

function NestedList({
  details,
  itemKey,
  currency,
  locale,
  depth,
  t,
}: {
  details: Record<string, unknown>;
  /** For a list: the list's key, which names what its items are. */
  itemKey?: string;
  currency: string | null;
  locale: string;
  depth: number;
  t: Translate;
}) {
  const rows: IDetailRow[] =
    itemKey === undefined
      ? detailRows(details, { defaultCurrency: currency })
      : Object.entries(details).map(([key, value]) => ({
          key,
          label: key,
          value,
          ...(currency ? { currency } : {}),
        }));
  return (
    <List $depth={depth}>
      {rows.map((row) => (
        <Row key={row.key} row={row} valueKey={itemKey ?? row.key} locale={locale} depth={depth} t={t} />
      ))}
    </List>
  );
}

function Row({
  row,
  valueKey = row.key,
  locale,
  depth,
  t,
}: {
  row: IDetailRow;
  /** The key that says what the value is (a list item's is the list's). */
  valueKey?: string;
  locale: string;
  depth: number;
  t: Translate;
}) {
  const isMoney = moneyOf(valueKey, row.value, row.currency ?? null) !== undefined;
  const isNested = row.value !== null && typeof row.value === 'object' && !isMoney;
  const isStacked = row.label.length > STACK_LABEL_CHARACTERS || isNested;
  const { change } = row;
  const value = (shown: unknown, currency: string | undefined) => (
    <DetailValue value={shown} name={valueKey} currency={currency ?? null} locale={locale} depth={depth} t={t} />
  );
  return (
    <div style={{ display: 'contents' }} data-detail={row.key}>
      <dt title={row.key} data-stacked={isStacked}>
        {row.label}
      </dt>
      <dd data-stacked={isStacked}>
        {change?.type === 'removed' ? (
          <>
            <del>{value(change.original, change.originalCurrency)}</del> ({t('change_removed')})
          </>
        ) : change ? (
          <>
            <ins>{value(row.value, row.currency)}</ins>
            {change.type === 'added' ? (
              <> ({t('change_added')})</>
            ) : (
              <>
                {' '}
                <VisuallyHidden>{`${t('was')} `}</VisuallyHidden>
                <del>{value(change.original, change.originalCurrency)}</del>
              </>
            )}
          </>
        ) : (
          value(row.value, row.currency)
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
  /** The app's language; numbers follow the agent's own locale when the app knows it [3]. */
  locale: string;
  /** Currency of money that names none (ISO 4217); by default the app's `defaultCurrency` setting. */
  defaultCurrency?: string | null;
  t: Translate;
}

/** The details as a readable key/value list; long lists show their first rows until asked. */
export function DetailsList({ details, ticketId, modified, locale, defaultCurrency, t }: IDetailsListProps) {
  const [isAll, setIsAll] = useState(false);
  const currency = useDefaultCurrency(defaultCurrency);
  const rows = detailRows(details, { ticketId, modified, defaultCurrency: currency });
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

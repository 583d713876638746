import { useContext } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { ClientContext } from '../contexts/ClientProvider';
import type { IChange } from '../lib/details-form';
import { formatJson, humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { currencyInside, formatDetailScalar } from '../lib/money';

const ChangeList = styled.ul`
  margin: 0;
  padding: 0;
  list-style: none;
  font-size: ${({ theme }) => theme.fontSizes.sm};

  li {
    margin-bottom: ${({ theme }) => theme.space.xxs};
    overflow-wrap: anywhere;
  }

  del {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.danger' })};
  }

  ins {
    text-decoration: none;
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.success' })};
  }
`;

export interface IDetailsDiffProps {
  /** What changed, from diffDetails(). */
  changes: IChange[];
  /**
   * The details before and after, for the currency of money that names none [1]. Without them money shows
   * only in a currency of its own (`"15.00 EUR"`), else as a number.
   */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /** Locale for numbers and money; by default the agent's own (as the details list). */
  locale?: string;
  t: Translate;
}

/** Before → after for each changed detail; screen readers hear "deleted"/"inserted" from del/ins. */
export function DetailsDiff({ changes, before, after, locale, t }: IDetailsDiffProps) {
  const client = useContext(ClientContext);
  const numberLocale = locale ?? client?.currentUser.locale ?? client?.locale ?? 'en';
  // [1] the default currency applies only when the details around are known to name none
  const around = (details: Record<string, unknown> | undefined) =>
    details ? currencyInside(details, client?.defaultCurrency ?? null) : null;
  const [currencyBefore, currencyAfter] = [around(before), around(after)];
  const text = (key: string, value: unknown, currency: string | null) =>
    formatDetailScalar(key, value, currency, numberLocale) ?? formatJson(value);
  if (changes.length === 0) return <p>{t('no_changes')}</p>;
  return (
    <ChangeList>
      {changes.map((change) => (
        <li key={change.key} data-change={change.type}>
          <strong>{humanizeKey(change.key)}</strong>:{' '}
          {change.type !== 'added' && <del>{text(change.key, change.before, currencyBefore)}</del>}
          {change.type === 'changed' && ' → '}
          {change.type !== 'removed' && <ins>{text(change.key, change.after, currencyAfter)}</ins>}
          {change.type === 'added' && ` (${t('change_added')})`}
          {change.type === 'removed' && ` (${t('change_removed')})`}
        </li>
      ))}
    </ChangeList>
  );
}

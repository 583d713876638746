import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import type { IChange } from '../lib/details-form';
import { formatJson, humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';

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
  t: Translate;
}

/** Before → after for each changed detail; screen readers hear "deleted"/"inserted" from del/ins. */
export function DetailsDiff({ changes, t }: IDetailsDiffProps) {
  if (changes.length === 0) return <p>{t('no_changes')}</p>;
  return (
    <ChangeList>
      {changes.map((change) => (
        <li key={change.key} data-change={change.type}>
          <strong>{humanizeKey(change.key)}</strong>:{' '}
          {change.type !== 'added' && <del>{formatJson(change.before)}</del>}
          {change.type === 'changed' && ' → '}
          {change.type !== 'removed' && <ins>{formatJson(change.after)}</ins>}
          {change.type === 'added' && ` (${t('change_added')})`}
          {change.type === 'removed' && ` (${t('change_removed')})`}
        </li>
      ))}
    </ChangeList>
  );
}

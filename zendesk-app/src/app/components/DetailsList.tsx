import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';

export const List = styled.dl`
  display: grid;
  grid-template-columns: minmax(72px, max-content) 1fr;
  gap: ${({ theme }) => `${theme.space.xxs} ${theme.space.sm}`};
  margin: 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};

  dt {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }

  pre {
    margin: 0;
    font-family: ${({ theme }) => theme.fonts.mono};
    font-size: ${({ theme }) => theme.fontSizes.xs};
    white-space: pre-wrap;
  }
`;

/** One detail value: strings as text, booleans and null translated, anything nested as indented JSON. */
export function DetailValue({ value, t }: { value: unknown; t: Translate }) {
  if (value === null) return <>{t('value_null')}</>;
  if (typeof value === 'boolean') return <>{t(value ? 'value_true' : 'value_false')}</>;
  if (typeof value === 'string' || typeof value === 'number') return <>{String(value)}</>;
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}

export interface IDetailsListProps {
  /** The approval's free-form details. */
  details: Record<string, unknown>;
  t: Translate;
}

/** The details as a readable key/value list. */
export function DetailsList({ details, t }: IDetailsListProps) {
  return (
    <List>
      {Object.entries(details).map(([key, value]) => (
        <div key={key} style={{ display: 'contents' }}>
          <dt title={key}>{humanizeKey(key)}</dt>
          <dd>
            <DetailValue value={value} t={t} />
          </dd>
        </div>
      ))}
    </List>
  );
}

import { useMemo, useState } from 'react';
import styled from 'styled-components';
import { Field, Select } from '@zendeskgarden/react-forms';
import { getColor } from '@zendeskgarden/react-theming';
import { useClient } from '../../hooks/useClient';
import { CardSkeleton } from '../CardSkeleton';
import { LiveRegionProvider } from '../LiveRegion';
import { EmptyState, ErrorState } from '../StatusMessage';
import { DailyChart } from './DailyChart';
import { InsightsTable } from './InsightsTable';
import { insightsTranslator } from './insights-i18n';
import { formatCount, formatDay } from './insights-format';
import { SuggestionList } from './SuggestionList';
import { TimeToDecisionChart } from './TimeToDecisionChart';
import { useInsights } from './useInsights';

/** The periods the select offers, in days; the first read is 30 (the gateway's default). */
export const INSIGHT_PERIODS = [7, 30, 90] as const;
const FIRST_PERIOD = 30;

const Page = styled.main`
  max-width: 1200px;
  margin: 0 auto;
  padding: ${({ theme }) => `${theme.space.md} ${theme.space.lg}`};
  display: grid;
  gap: ${({ theme }) => theme.space.lg};

  h1 {
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.xl};
    line-height: ${({ theme }) => theme.lineHeights.xl};
  }

  h2 {
    margin: 0 0 ${({ theme }) => theme.space.xs};
    font-size: ${({ theme }) => theme.fontSizes.lg};
  }
`;

const Header = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.md};

  p {
    margin: ${({ theme }) => `${theme.space.xxs} 0 0`};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }
`;

const PeriodField = styled.div`
  min-width: 180px;
`;

const Charts = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
  gap: ${({ theme }) => theme.space.lg};
`;

/**
 * The nav bar's Insights tab: per action what people decide and how fast, in a table with a total row;
 * daily volume by outcome and time to decision as charts; and the suggested rules with Copy rule.
 */
export function InsightsView() {
  const { gateway, t, locale } = useClient();
  const tr = useMemo(() => insightsTranslator(locale), [locale]);
  const [days, setDays] = useState<number>(FIRST_PERIOD);
  const state = useInsights(gateway, days);
  const status =
    state.status === 'ready'
      ? tr('loaded', { days: formatCount(days, locale), requests: formatCount(state.insights.total.requests, locale) })
      : state.status === 'loading'
        ? tr('loading')
        : '';

  return (
    <LiveRegionProvider status={status}>
      <Page aria-labelledby="insights-title" aria-busy={state.status === 'loading'} data-testid="insights">
        <Header>
          <div>
            <h1 id="insights-title">{tr('title')}</h1>
            {state.status === 'ready' && (
              <p data-testid="insights-range">
                {tr('period_range', {
                  from: formatDay(state.insights.from, locale, true),
                  to: formatDay(state.insights.to, locale, true),
                })}
              </p>
            )}
          </div>
          <PeriodField>
            <Field>
              <Field.Label>{tr('period_label')}</Field.Label>
              <Select isCompact value={String(days)} onChange={(e) => setDays(Number(e.target.value))}>
                {INSIGHT_PERIODS.map((period) => (
                  <option key={period} value={period}>
                    {tr('period_days', { days: period })}
                  </option>
                ))}
              </Select>
            </Field>
          </PeriodField>
        </Header>
        {state.status === 'loading' && <CardSkeleton />}
        {state.status === 'error' && <ErrorState error={state.error} onRetry={state.reload} t={t} />}
        {state.status === 'ready' && state.insights.total.requests === 0 && (
          <EmptyState title={tr('empty_title')} body={tr('empty_body')} />
        )}
        {state.status === 'ready' && state.insights.total.requests > 0 && (
          <>
            <InsightsTable actions={state.insights.actions} total={state.insights.total} locale={locale} tr={tr} />
            <Charts>
              <DailyChart totals={state.insights.total} locale={locale} tr={tr} />
              <TimeToDecisionChart timeToDecision={state.insights.total.timeToDecision} locale={locale} tr={tr} />
            </Charts>
          </>
        )}
        {state.status === 'ready' && (
          <SuggestionList state={state.suggestions} onRetry={state.reload} locale={locale} tr={tr} t={t} />
        )}
      </Page>
    </LiveRegionProvider>
  );
}

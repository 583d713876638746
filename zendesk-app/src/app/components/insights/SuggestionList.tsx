import styled from 'styled-components';
import { Well } from '@zendeskgarden/react-notifications';
import { getColor } from '@zendeskgarden/react-theming';
import type { Suggestion, SuggestionKind, Suggestions } from '@cheqpoint/shared';
import { formatNumber, humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { ErrorState } from '../StatusMessage';
import { CopyJson } from './CopyJson';
import type { InsightsKey, InsightsTranslate } from './insights-i18n';
import { formatCount } from './insights-format';
import type { SuggestionsState } from './useInsights';

/** The words of each kind of rule: its title, what people did in the period, what the backtest found. */
const KIND_WORDS: Record<SuggestionKind, { title: InsightsKey; period: InsightsKey; backtest: InsightsKey }> = {
  auto_approve: {
    title: 'suggestion_approve',
    period: 'suggestion_period_approve',
    backtest: 'backtest_approve',
  },
  auto_reject: { title: 'suggestion_reject', period: 'suggestion_period_reject', backtest: 'backtest_reject' },
};

/** How many of the period's people decisions agree with the rule (unchanged approvals, or rejections). */
const AGREEING: Record<SuggestionKind, (period: Suggestion['period']) => number> = {
  auto_approve: (period) => period.approvedUnchanged,
  auto_reject: (period) => period.rejected,
};

const List = styled.ul`
  margin: 0;
  padding: 0;
  list-style: none;
  display: grid;
  gap: ${({ theme }) => theme.space.sm};
`;

const Item = styled(Well)`
  padding: ${({ theme }) => theme.space.md};

  h3 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }

  p {
    margin: 0 0 ${({ theme }) => theme.space.xs};
  }
`;

const Muted = styled.p`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

function SuggestionItem({ suggestion, locale, tr }: { suggestion: Suggestion; locale: string; tr: InsightsTranslate }) {
  const words = KIND_WORDS[suggestion.kind];
  const { slice, backtest } = suggestion;
  const bound =
    slice.field !== null && slice.lte !== null
      ? ` ${tr('suggestion_bound', { field: slice.field, bound: formatNumber(slice.lte, locale) })}`
      : '';
  const backtestText =
    backtest.conflicting === 0
      ? tr(words.backtest, { count: formatCount(backtest.wouldHaveDecided, locale) })
      : tr('backtest_conflicting', {
          count: formatCount(backtest.wouldHaveDecided, locale),
          conflicting: formatCount(backtest.conflicting, locale),
        });
  return (
    <li data-testid="insights-suggestion" data-rule={suggestion.rule.name}>
      <Item>
        <h3>
          {tr(words.title, { action: humanizeAction(slice.action) })}
          {bound}
        </h3>
        <p>{tr(words.period, { count: formatCount(AGREEING[suggestion.kind](suggestion.period), locale) })}</p>
        <p data-testid="insights-backtest">{backtestText}</p>
        <CopyJson
          value={suggestion.rule}
          label={tr('copy_rule')}
          fieldLabel={tr('copy_fallback_rule', { name: suggestion.rule.name })}
          tr={tr}
        />
      </Item>
    </li>
  );
}

export interface ISuggestionListProps {
  state: SuggestionsState;
  /** Asks again (the insights and the suggestions). */
  onRetry: () => void;
  locale: string;
  tr: InsightsTranslate;
  t: Translate;
}

/**
 * The suggested rules with their backtest, each with Copy rule; then the whole policy to copy. While the
 * backtest replays the stored requests, the section says so (it can take seconds on a large store).
 */
export function SuggestionList({ state, onRetry, locale, tr, t }: ISuggestionListProps) {
  return (
    <section
      aria-labelledby="insights-suggestions-title"
      aria-busy={state.status === 'loading'}
      data-testid="insights-suggestions"
    >
      <h2 id="insights-suggestions-title">{tr('suggestions_title')}</h2>
      {state.status === 'loading' && (
        <Muted data-testid="insights-suggestions-loading">{tr('suggestions_loading')}</Muted>
      )}
      {state.status === 'error' && <ErrorState error={state.error} onRetry={onRetry} t={t} isInline />}
      {state.status === 'ready' && <Suggested suggestions={state.suggestions} locale={locale} tr={tr} />}
    </section>
  );
}

function Suggested({ suggestions, locale, tr }: { suggestions: Suggestions; locale: string; tr: InsightsTranslate }) {
  const min = formatCount(suggestions.minApprovals, locale);
  if (suggestions.suggestions.length === 0) return <Muted>{tr('suggestions_none', { min })}</Muted>;
  return (
    <>
      <Muted>{tr('suggestions_intro', { min })}</Muted>
      <List>
        {suggestions.suggestions.map((suggestion) => (
          <SuggestionItem key={suggestion.rule.name} suggestion={suggestion} locale={locale} tr={tr} />
        ))}
      </List>
      <Muted>{tr('copy_policy_hint')}</Muted>
      <CopyJson value={suggestions.policy} label={tr('copy_policy')} fieldLabel={tr('copy_fallback_policy')} tr={tr} />
    </>
  );
}

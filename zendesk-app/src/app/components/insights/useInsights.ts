import { useCallback, useEffect, useState } from 'react';
import type { Insights, Suggestions } from '@cheqpoint/shared';
import { GatewayError, type IGatewayClient } from '../../api/gateway-client';

/**
 * The suggested rules, read beside the insights: their backtest replays every stored request, which on a
 * large store takes seconds longer than the insights (read by key), so they arrive on their own.
 */
export type SuggestionsState =
  { status: 'loading' } | { status: 'ready'; suggestions: Suggestions } | { status: 'error'; error: GatewayError };

export type InsightsState =
  | { status: 'loading'; days: number }
  | { status: 'ready'; days: number; insights: Insights; suggestions: SuggestionsState }
  | { status: 'error'; days: number; error: GatewayError };

const asGatewayError = (err: unknown) =>
  err instanceof GatewayError ? err : new GatewayError('invalid-reply', 'Reply does not match the contract');

/**
 * The insights and suggested rules of the last `days` days, both asked for when the period changes (or on
 * `reload`). The insights show as soon as they are in; the suggestions follow in their own state. An
 * answer for a period the agent has already left is dropped, so a slow 90-day read cannot overwrite the 7
 * days chosen after it.
 */
export function useInsights(gateway: IGatewayClient, days: number): InsightsState & { reload: () => void } {
  const [state, setState] = useState<InsightsState>({ status: 'loading', days });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let isCurrent = true;
    // What the suggestions call answered, should it come before the insights.
    let suggestions: SuggestionsState = { status: 'loading' };
    setState({ status: 'loading', days });
    gateway.insights(days).then(
      (insights) => isCurrent && setState({ status: 'ready', days, insights, suggestions }),
      (err: unknown) => isCurrent && setState({ status: 'error', days, error: asGatewayError(err) }),
    );
    gateway.suggestions(days).then(
      (answer) => settleSuggestions({ status: 'ready', suggestions: answer }),
      (err: unknown) => settleSuggestions({ status: 'error', error: asGatewayError(err) }),
    );
    function settleSuggestions(next: SuggestionsState) {
      if (!isCurrent) return;
      suggestions = next;
      setState((current) => (current.status === 'ready' ? { ...current, suggestions: next } : current));
    }
    return () => {
      isCurrent = false;
    };
  }, [gateway, days, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, reload };
}

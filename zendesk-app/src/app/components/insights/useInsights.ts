import { useCallback, useEffect, useState } from 'react';
import type { Insights, Suggestions } from '@cheqpoint/shared';
import { GatewayError, type IGatewayClient } from '../../api/gateway-client';

export type InsightsState =
  | { status: 'loading'; days: number }
  | { status: 'ready'; days: number; insights: Insights; suggestions: Suggestions }
  | { status: 'error'; days: number; error: GatewayError };

/**
 * The insights and suggested rules of the last `days` days, read together when the period changes (or on
 * `reload`). An answer for a period the agent has already left is dropped, so a slow 90-day read cannot
 * overwrite the 7 days chosen after it.
 */
export function useInsights(gateway: IGatewayClient, days: number): InsightsState & { reload: () => void } {
  const [state, setState] = useState<InsightsState>({ status: 'loading', days });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let isCurrent = true;
    setState({ status: 'loading', days });
    Promise.all([gateway.insights(days), gateway.suggestions(days)]).then(
      ([insights, suggestions]) => isCurrent && setState({ status: 'ready', days, insights, suggestions }),
      (err: unknown) => {
        if (!isCurrent) return;
        const error =
          err instanceof GatewayError ? err : new GatewayError('invalid-reply', 'Reply does not match the contract');
        setState({ status: 'error', days, error });
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [gateway, days, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, reload };
}

import { useState } from 'react';
import type { ApprovalView } from '../../api/approval-view';
import { GatewayError } from '../../api/gateway-client';
import { useClient } from '../../hooks/useClient';

/**
 * Retry of a failed execution (`POST /api/agent/approvals/{id}/execution/retry` through the app's
 * gateway client, the agent key filled in by Zendesk's proxy). A 409 is not an error: it is not failed
 * any more (a colleague retried it first), and the card takes the current state when the gateway sends it.
 */
export function useExecutionRetry(approvalId: string, onUpdated: (approval: ApprovalView) => void) {
  const { gateway } = useClient();
  const [isBusy, setIsBusy] = useState(false);
  const [error, setError] = useState<GatewayError | null>(null);
  const [isConflict, setIsConflict] = useState(false);
  /** Counts the retries the gateway took: the card moves focus off the button they remove. */
  const [retried, setRetried] = useState(0);

  async function retry() {
    if (isBusy) return;
    setIsBusy(true);
    setError(null);
    setIsConflict(false);
    try {
      const outcome = await gateway.retryExecution(approvalId);
      setIsConflict(outcome.kind === 'conflict');
      if (outcome.approval) onUpdated(outcome.approval);
      setRetried((n) => n + 1);
    } catch (err) {
      setError(err instanceof GatewayError ? err : new GatewayError('invalid-reply', String(err)));
    } finally {
      setIsBusy(false);
    }
  }

  return { retry, isBusy, error, isConflict, retried };
}

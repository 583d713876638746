import { useCallback, useState } from 'react';
import type { DecisionRequest } from '@cheqpoint/shared';
import type { ApprovalView } from '../api/approval-view';
import { GatewayError, type DecisionOutcome } from '../api/gateway-client';
import { useClient } from './useClient';

export interface IDecisionInput {
  decision: 'approve' | 'reject';
  note: string;
  modifiedDetails?: Record<string, unknown>;
}

/**
 * Where the decision was made, for the gateway's time-to-decision metric: the app's two deciding
 * locations; any other says nothing (the gateway counts it as `api`).
 */
export function decisionChannel(location: string): DecisionRequest['channel'] {
  switch (location) {
    case 'ticket_sidebar':
      return 'sidebar';
    case 'nav_bar':
      return 'queue';
    default:
      return undefined;
  }
}

/**
 * Sends a decision as the signed-in agent. A `409` is not an error: the card takes the current state and
 * says who decided. After a decision the optional internal note goes onto the ticket.
 */
export function useDecision(onUpdated: (approval: ApprovalView) => void) {
  const { gateway, currentUser, client, t, isTicketNoteEnabled, location } = useClient();
  const [isBusy, setIsBusy] = useState(false);
  const [error, setError] = useState<GatewayError | null>(null);
  const [isConflict, setIsConflict] = useState(false);
  const [isNoteFailed, setIsNoteFailed] = useState(false);

  /** Resolves with what the gateway answered (decided or 409), or null when the call failed. */
  async function submit(approvalId: string, input: IDecisionInput): Promise<DecisionOutcome | null> {
    setIsBusy(true);
    setError(null);
    setIsNoteFailed(false);
    try {
      const note = input.note.trim();
      const channel = decisionChannel(location);
      const outcome = await gateway.decide(approvalId, {
        decision: input.decision,
        ...(note ? { note } : {}),
        ...(input.modifiedDetails ? { modifiedDetails: input.modifiedDetails } : {}),
        agent: {
          id: currentUser.id,
          name: currentUser.name || currentUser.id,
          ...(currentUser.email ? { email: currentUser.email } : {}),
        },
        ...(channel ? { channel } : {}),
      });
      setIsConflict(outcome.kind === 'conflict');
      onUpdated(outcome.approval);
      // a counted vote of a quorum leaves the approval pending: the note comes with the deciding one
      const isFinal = outcome.approval.status !== 'pending';
      if (outcome.kind === 'decided' && isFinal && isTicketNoteEnabled && outcome.approval.ticketId) {
        const { ticketId } = outcome.approval;
        // [1] the note's code (and the shared note text) load with the first decision, not with the sidebar
        await import('../api/ticket-note')
          .then(({ addTicketNote, ticketNoteText }) =>
            addTicketNote(client, ticketId, ticketNoteText(outcome.approval, currentUser.name, t)),
          )
          .catch(() => setIsNoteFailed(true));
      }
      return outcome;
    } catch (err) {
      setError(err instanceof GatewayError ? err : new GatewayError('invalid-reply', String(err)));
      return null;
    } finally {
      setIsBusy(false);
    }
  }

  /** Forgets a failed decision's error (the approval was refreshed, so the notice is stale). */
  const clearError = useCallback(() => setError(null), []);

  return { submit, clearError, isBusy, error, isConflict, isNoteFailed };
}

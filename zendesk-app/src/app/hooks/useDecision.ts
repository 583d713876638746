import { useCallback, useState } from 'react';
import type { ApprovalView } from '../api/approval-view';
import { GatewayError } from '../api/gateway-client';
import { addTicketNote, ticketNoteText } from '../api/ticket-note';
import { useClient } from './useClient';

export interface IDecisionInput {
  decision: 'approve' | 'reject';
  note: string;
  modifiedDetails?: Record<string, unknown>;
}

/**
 * Sends a decision as the signed-in agent. A `409` is not an error: the card takes the current state and
 * says who decided. After a decision the optional internal note goes onto the ticket.
 */
export function useDecision(onUpdated: (approval: ApprovalView) => void) {
  const { gateway, currentUser, client, t, isTicketNoteEnabled } = useClient();
  const [isBusy, setIsBusy] = useState(false);
  const [error, setError] = useState<GatewayError | null>(null);
  const [isConflict, setIsConflict] = useState(false);
  const [isNoteFailed, setIsNoteFailed] = useState(false);

  async function submit(approvalId: string, input: IDecisionInput): Promise<boolean> {
    setIsBusy(true);
    setError(null);
    setIsNoteFailed(false);
    try {
      const note = input.note.trim();
      const outcome = await gateway.decide(approvalId, {
        decision: input.decision,
        ...(note ? { note } : {}),
        ...(input.modifiedDetails ? { modifiedDetails: input.modifiedDetails } : {}),
        agent: {
          id: currentUser.id,
          name: currentUser.name || currentUser.id,
          ...(currentUser.email ? { email: currentUser.email } : {}),
        },
      });
      setIsConflict(outcome.kind === 'conflict');
      onUpdated(outcome.approval);
      // a counted vote of a quorum leaves the approval pending: the note comes with the deciding one
      const isFinal = outcome.approval.status !== 'pending';
      if (outcome.kind === 'decided' && isFinal && isTicketNoteEnabled && outcome.approval.ticketId) {
        const text = ticketNoteText(outcome.approval, currentUser.name, t);
        await addTicketNote(client, outcome.approval.ticketId, text).catch(() => setIsNoteFailed(true));
      }
      return true;
    } catch (err) {
      setError(err instanceof GatewayError ? err : new GatewayError('invalid-reply', String(err)));
      return false;
    } finally {
      setIsBusy(false);
    }
  }

  /** Forgets a failed decision's error (the approval was refreshed, so the notice is stale). */
  const clearError = useCallback(() => setError(null), []);

  return { submit, clearError, isBusy, error, isConflict, isNoteFailed };
}

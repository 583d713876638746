import type { ApprovalStatus } from '@cheqpoint/shared';

/**
 * What the change feed says of approvals, for every gateway process on the database: a new pending
 * approval (its pending-set entry), a quorum's vote, an escalation, a decision (which releases held calls
 * and leaves the pending set) and what became of its execution.
 */
export type ApprovalChange =
  | {
      kind: 'created';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
      createdAt: Date;
      expiresAt: Date;
      /** When its rule's escalation applies; absent or null: none. */
      escalatesAt?: Date | null;
      /** Its idempotency record, for the retention sweep that walks the feed. */
      idempotencyId: string;
    }
  | {
      /** A counted vote of a quorum approval that leaves it pending (wakes held lists: the progress shows). */
      kind: 'voted';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
    }
  | {
      /** Its escalation applied (once, by one process): the others stop watching for it; held lists wake. */
      kind: 'escalated';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
    }
  | {
      /**
       * Its execution changed (README "Late decisions"): an attempt's result was recorded, a failed one
       * was retried, or the customer reply was added or failed. Only held lists care: the sidebar's card
       * and the queue show the new state at once instead of at their wait's end.
       */
      kind: 'executed';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
      cause: 'attempt' | 'retry' | 'reply';
    }
  | {
      kind: 'decided';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
      outcome: Exclude<ApprovalStatus, 'pending'>;
    };

import type { ApprovalStatus } from '@cheqpoint/shared';

/**
 * What the change feed says of approvals, for every gateway process on the database: a new pending
 * approval (its pending-set entry), a quorum's vote, and a decision (which releases held calls and leaves
 * the pending set).
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
      kind: 'decided';
      approvalId: string;
      accountId: string;
      ticketId: string | null;
      action: string;
      outcome: Exclude<ApprovalStatus, 'pending'>;
    };

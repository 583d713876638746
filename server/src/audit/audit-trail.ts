import type { Connection } from 'mongoose';
import type { Logger } from '../lib/logger.js';
import type { AuditActor, AuditEventDoc } from './audit-event.model.js';
import { appendEvent, appendEventAt, listEvents, readChainPrefix } from './audit.service.js';

/** The approval an event belongs to. */
export type AuditSubject = { _id: string; accountId: string };

/** What the trail records of a new approval. */
export type IntakeRecord = AuditSubject & {
  action: string;
  ticketId: string | null;
  detailsSha256: string;
  requestSha256: string;
  createdAt: Date;
  /** The flow key that sent it. */
  keyId: string;
  /** The policy's verdict at intake, when the account has a policy. */
  policy: Record<string, unknown> | null;
};

/** What the trail records of a decision (a person's, a policy's or the expiry's). */
export type DecisionRecordEvent = {
  kind: 'decided' | 'expired';
  actor: AuditActor;
  outcome: string;
  note: string | null;
  modifiedDetailsSha256: string | null;
  decisionRequestId: string | null;
  decidedAt: Date;
  /** What gave the person the authority the rule asked for (`role:admin`, `group:Team leads`); null: none asked. */
  authority: string | null;
};

/** One agent's approval of an approval that needs several (a quorum). */
export type VoteRecord = {
  agent: { id: string; name: string; verified: boolean; authority?: string };
  note: string | null;
  /** Its slot: the n-th vote recorded on the approval. */
  slot: number;
  required: number;
  decisionRequestId: string | null;
  at: Date;
};

/** What an approval's escalation did (its rule's `escalation`), recorded once by the process that fired it. */
export type EscalationRecord = {
  afterSeconds: number;
  /** Who may decide from now on (the rule's deciders widened), when the escalation widens them. */
  deciders: Record<string, unknown> | null;
  priority: string | null;
  notifyGroup: string | null;
  at: Date;
};

/** One callback attempt, as the dispatcher reports it after recording it. */
export type DeliveryRecord = {
  approvalId: string;
  accountId: string;
  webhookId: string;
  attempt: number;
  /** The delivery state recorded: `pending` means another attempt is scheduled. */
  state: string;
  httpStatus: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  at: Date;
};

/** A redelivery asked for through the API (`key:<keyId>`) or the operator's CLI (`cli`). */
export type RedeliveryRecord = {
  approvalId: string;
  accountId: string;
  actor: string;
  previousState: string;
  at: Date;
};

const DISPATCHER: AuditActor = { type: 'system', name: 'dispatcher' };

/**
 * An approval's audit trail, in the words of what happened. It alone knows where events go in the
 * hash chain: the intake's first events at fixed positions (so a retried intake writes them once), the
 * decision once at the end of the chain whoever records it (a replay that finds it missing writes it
 * back), callback events after whatever is there.
 */
export class AuditTrail {
  constructor(
    private readonly conn: Connection,
    private readonly logger: Logger,
  ) {}

  /**
   * `requested` at position 1 and, under a policy, `policy_evaluated` at 2, each written once however
   * many requests get here. Throws when they cannot be written: they are part of the intake, and the
   * intake's retry writes them.
   */
  async recordIntake(record: IntakeRecord): Promise<void> {
    const { conn } = this;
    await appendEventAt(
      conn,
      record.accountId,
      record._id,
      1,
      'requested',
      { type: 'flow', id: record.keyId },
      {
        action: record.action,
        ticketId: record.ticketId,
        detailsSha256: record.detailsSha256,
        requestSha256: record.requestSha256,
      },
      record.createdAt,
    );
    if (!record.policy) return;
    await appendEventAt(
      conn,
      record.accountId,
      record._id,
      2,
      'policy_evaluated',
      { type: 'policy' },
      record.policy,
      record.createdAt,
    );
  }

  /**
   * The approval's `decided` or `expired` event, once: nothing when the chain has one already (a replay,
   * a second writer). Two concurrent writers both aim at the end of the chain; the position's unique
   * `_id` lets one through, and the other then finds the event and stops.
   */
  async recordDecision(subject: AuditSubject, decision: DecisionRecordEvent): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const events = await readChainPrefix(this.conn, subject._id);
      if (events.some((e) => e.accountId !== subject.accountId)) {
        throw new Error(`Approval ${subject._id} has audit events of another account`);
      }
      if (events.some((e) => e.type === 'decided' || e.type === 'expired')) return;
      const seq = (events.at(-1)?.seq ?? 0) + 1;
      const written = await appendEventAt(
        this.conn,
        subject.accountId,
        subject._id,
        seq,
        decision.kind,
        decision.actor,
        {
          outcome: decision.outcome,
          note: decision.note,
          modifiedDetailsSha256: decision.modifiedDetailsSha256,
          decisionRequestId: decision.decisionRequestId,
          // only when the rule asked for authority, so other decisions' events read exactly as before
          ...(decision.authority ? { authority: decision.authority } : {}),
        },
        decision.decidedAt,
      ).catch((err: unknown) => {
        // The previous position vanished under us (cannot happen in an insert-only chain): look again.
        if (String((err as Error).message).includes('is missing')) return null;
        throw err;
      });
      if (written) return;
    }
    throw new Error(`Could not record the decision of ${subject._id} in its audit trail`);
  }

  /**
   * `voted`: one agent's approval of a quorum approval, after whatever is there (each vote once: the
   * caller records only the vote its own request counted).
   */
  async recordVote(subject: AuditSubject, vote: VoteRecord): Promise<void> {
    await appendEvent(
      this.conn,
      subject.accountId,
      subject._id,
      'voted',
      { type: 'agent', id: vote.agent.id, name: vote.agent.name, verified: vote.agent.verified },
      {
        slot: vote.slot,
        required: vote.required,
        note: vote.note,
        decisionRequestId: vote.decisionRequestId,
        ...(vote.agent.authority ? { authority: vote.agent.authority } : {}),
      },
      vote.at,
      2 + vote.slot,
    );
  }

  /** `escalated`: nobody decided in time, so the rule's escalation applied (once per approval). */
  async recordEscalation(subject: AuditSubject, escalation: EscalationRecord): Promise<void> {
    await appendEvent(
      this.conn,
      subject.accountId,
      subject._id,
      'escalated',
      { type: 'system', name: 'escalation' },
      {
        afterSeconds: escalation.afterSeconds,
        deciders: escalation.deciders,
        priority: escalation.priority,
        notifyGroup: escalation.notifyGroup,
      },
      escalation.at,
      3,
    );
  }

  /** `callback_attempted`, then `callback_delivered` or `callback_dead` when the delivery ended so. */
  async recordDelivery(event: DeliveryRecord): Promise<void> {
    // After the intake's events and the decision (3 or 4 events), then one or two per attempt.
    const attempted = await appendEvent(
      this.conn,
      event.accountId,
      event.approvalId,
      'callback_attempted',
      DISPATCHER,
      {
        webhookId: event.webhookId,
        attempt: event.attempt,
        state: event.state,
        httpStatus: event.httpStatus,
        error: event.error,
        nextAttemptAt: event.nextAttemptAt?.toISOString() ?? null,
      },
      event.at,
      2 + event.attempt,
    );
    if (event.state !== 'delivered' && event.state !== 'dead') return;
    await appendEvent(
      this.conn,
      event.accountId,
      event.approvalId,
      event.state === 'delivered' ? 'callback_delivered' : 'callback_dead',
      DISPATCHER,
      { webhookId: event.webhookId, attempts: event.attempt },
      event.at,
      attempted.seq + 1,
    );
  }

  async recordRedelivery(event: RedeliveryRecord): Promise<void> {
    const actor: AuditActor = event.actor.startsWith('key:')
      ? { type: 'agent', id: event.actor.slice(4) }
      : { type: 'admin', name: event.actor };
    await appendEvent(
      this.conn,
      event.accountId,
      event.approvalId,
      'redelivered',
      actor,
      { previousState: event.previousState },
      event.at,
    );
  }

  /** The approval's events in chain order (empty for another account's). */
  list(accountId: string, approvalId: string): Promise<AuditEventDoc[]> {
    return listEvents(this.conn, accountId, approvalId);
  }

  /**
   * Runs an audit write that must never fail the request that caused it (a committed decision stays
   * committed): a failure is logged.
   */
  async bestEffort(subject: AuditSubject, type: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.logger.error('audit append failed', {
        approvalId: subject._id,
        type,
        error: String((err as Error).message),
      });
    }
  }
}

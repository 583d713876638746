import type { Connection } from 'mongoose';
import type { Logger } from '../lib/logger.js';
import type { AuditActor, AuditEventDoc, AuditEventType } from './audit-event.model.js';
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

/** One agent's approval of an approval that needs several (a quorum), as it counted. */
export type VoteRecord = {
  agent: { id: string; name: string; verified: boolean; authority?: string };
  note: string | null;
  /** Its slot: its position among the approval's slots (`<approvalId>:vote:<n>`), the order it counted in. */
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

/** How an execution ended (actions/ reports it). */
export type ExecutionAuditRecord = {
  approvalId: string;
  accountId: string;
  attempt: number;
  state: 'succeeded' | 'failed';
  method: string | null;
  host: string | null;
  httpStatus: number | null;
  error: string | null;
  reply: string;
  at: Date;
};

const DISPATCHER: AuditActor = { type: 'system', name: 'dispatcher' };

/** The event a callback attempt adds when it leaves the delivery final (delivered or dead); other states add none. */
const FINAL_CALLBACK_EVENT: ReadonlyMap<string, AuditEventType> = new Map([
  ['delivered', 'callback_delivered'],
  ['dead', 'callback_dead'],
]);

/** The event of an execution's end. */
const EXECUTION_EVENT = {
  succeeded: 'executed',
  failed: 'execution-failed',
} as const satisfies Record<ExecutionAuditRecord['state'], AuditEventType>;

type EventToWrite = { type: AuditEventType; actor: AuditActor; data: Record<string, unknown>; at: Date };

/** The slot a `voted` event's data names (its canonical JSON), or null. */
function slotOf(data: string): number | null {
  const slot = (JSON.parse(data) as { slot?: unknown }).slot;
  return typeof slot === 'number' ? slot : null;
}

function voteEvent(vote: VoteRecord): EventToWrite {
  return {
    type: 'voted',
    actor: { type: 'agent', id: vote.agent.id, name: vote.agent.name, verified: vote.agent.verified },
    data: {
      slot: vote.slot,
      required: vote.required,
      note: vote.note,
      decisionRequestId: vote.decisionRequestId,
      ...(vote.agent.authority ? { authority: vote.agent.authority } : {}),
    },
    at: vote.at,
  };
}

function decisionEvent(decision: DecisionRecordEvent): EventToWrite {
  return {
    type: decision.kind,
    actor: decision.actor,
    data: {
      outcome: decision.outcome,
      note: decision.note,
      modifiedDetailsSha256: decision.modifiedDetailsSha256,
      decisionRequestId: decision.decisionRequestId,
      // only when the rule asked for authority, so other decisions' events read exactly as before
      ...(decision.authority ? { authority: decision.authority } : {}),
    },
    at: decision.decidedAt,
  };
}

/**
 * An approval's audit trail, in the words of what happened. It alone knows where events go in the
 * hash chain: the intake's first events at fixed positions (so a retried intake writes them once), a
 * quorum's counted votes and then the decision, each once, at the end of the chain whoever records it
 * (a replay that finds them missing writes them back), callback events after whatever is there.
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
   * The approval's `decided` or `expired` event, once, and before it the `voted` events of the votes
   * that counted (a quorum's; in their slot order) that the chain lacks: nothing when the chain has a
   * decision event already (a replay, a second writer).
   */
  async recordDecision(
    subject: AuditSubject,
    decision: DecisionRecordEvent,
    votes: readonly VoteRecord[] = [],
  ): Promise<void> {
    await this.appendMissing(subject, votes, decision);
  }

  /**
   * The `voted` events of these counted votes (in slot order) that the chain lacks, each once whoever
   * records it (the voter, a later voter, the decider); none once the chain has a decision event, whose
   * writer recorded every counted vote before it.
   */
  async recordVotes(subject: AuditSubject, votes: readonly VoteRecord[]): Promise<void> {
    await this.appendMissing(subject, votes, null);
  }

  /**
   * The race arbiter of an approval's trail: each event is inserted at exactly the position after the
   * chain just read, whose unique `_id` (`<approvalId>:<seq>`) lets one writer through. So an insert
   * lands only on the chain its writer read: a `voted` event is written only when the chain has neither
   * it (its slot) nor a decision event, and the decision event only after every counted vote. Two
   * writers of the same events (a voter and the decider) cannot both land one; the loser reads again.
   */
  private async appendMissing(
    subject: AuditSubject,
    votes: readonly VoteRecord[],
    decision: DecisionRecordEvent | null,
  ): Promise<void> {
    let events = await readChainPrefix(this.conn, subject._id);
    for (let attempt = 0; attempt < 20 + 2 * votes.length; attempt++) {
      if (events.some((e) => e.accountId !== subject.accountId)) {
        throw new Error(`Approval ${subject._id} has audit events of another account`);
      }
      if (events.some((e) => e.type === 'decided' || e.type === 'expired')) return;
      const recorded = new Set(events.filter((e) => e.type === 'voted').map((e) => slotOf(e.data)));
      const vote = votes.find((v) => !recorded.has(v.slot));
      const next = vote ? voteEvent(vote) : decision ? decisionEvent(decision) : null;
      if (!next) return;
      const seq = (events.at(-1)?.seq ?? 0) + 1;
      const written = await appendEventAt(
        this.conn,
        subject.accountId,
        subject._id,
        seq,
        next.type,
        next.actor,
        next.data,
        next.at,
      ).catch((err: unknown) => {
        // The previous position vanished under us (cannot happen in an insert-only chain): look again.
        if (String((err as Error).message).includes('is missing')) return null;
        throw err;
      });
      // Written: the chain is what was read plus this event. Taken by another writer: read it again,
      // which says what is still missing.
      events = written ? [...events, written] : await readChainPrefix(this.conn, subject._id);
    }
    throw new Error(`Could not record the votes and decision of ${subject._id} in its audit trail`);
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
    const kind = FINAL_CALLBACK_EVENT.get(event.state);
    if (!kind) return;
    await appendEvent(
      this.conn,
      event.accountId,
      event.approvalId,
      kind,
      DISPATCHER,
      { webhookId: event.webhookId, attempts: event.attempt },
      event.at,
      attempted.seq + 1,
    );
  }

  /**
   * `executed` or `execution-failed`: how Cheqpoint's request that carries out the decided action
   * ended (method, host, status, error; never a header, a body or a secret), and the reply's state.
   */
  async recordExecution(event: ExecutionAuditRecord): Promise<void> {
    await appendEvent(
      this.conn,
      event.accountId,
      event.approvalId,
      EXECUTION_EVENT[event.state],
      { type: 'system', name: 'executor' },
      {
        attempt: event.attempt,
        method: event.method,
        host: event.host,
        httpStatus: event.httpStatus,
        error: event.error,
        reply: event.reply,
      },
      event.at,
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

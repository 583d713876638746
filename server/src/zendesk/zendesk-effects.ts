import {
  describeDeciders,
  englishTicketNote,
  ticketNoteText,
  type ApprovalStatus,
  type DecidedBy,
  type Escalation,
} from '@cheqpoint/shared';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ZendeskConnections } from './connections.js';
import type { ZendeskDispatcher } from './zendesk-dispatcher.js';
import { entryId, type NewEffect, type ZendeskOutbox } from './zendesk-outbox.js';

/**
 * What Zendesk's effects read of an approval and of its decision: zendesk/'s own view, which the
 * approvals' stored documents satisfy as they are, so this folder does not depend on their model.
 */
export type EffectApproval = {
  _id: string;
  accountId: string;
  ticketId: string | null;
  summary: string;
  action: string;
  detailsJson: string;
  expiresAt: Date;
};
export type EffectDecision = {
  outcome: Exclude<ApprovalStatus, 'pending'>;
  note: string | null;
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy;
};

export type ZendeskEffectsDeps = {
  connections: ZendeskConnections;
  outbox: ZendeskOutbox;
  dispatcher: ZendeskDispatcher;
  clock: Clock;
  logger: Logger;
};

/** Zendesk ticket ids are numbers; an approval about anything else has no ticket to tell. */
const isZendeskTicket = (ticketId: string | null): ticketId is string =>
  ticketId !== null && /^\d{1,19}$/.test(ticketId);

/** The gateway's own note of a decision by policy or expiry (a person's decision gets the sidebar's note). */
function noteOf(doc: EffectApproval, decision: EffectDecision): string | null {
  const by = decision.decidedBy;
  if (by.type === 'agent') return null;
  return ticketNoteText(
    {
      approvalId: doc._id,
      status: decision.outcome,
      summary: doc.summary,
      action: doc.action,
      details: JSON.parse(doc.detailsJson) as Record<string, unknown>,
      modifiedDetails: decision.modifiedDetailsJson
        ? (JSON.parse(decision.modifiedDetailsJson) as Record<string, unknown>)
        : null,
      decisionNote: decision.note,
    },
    by,
    englishTicketNote,
  );
}

/** The internal note of an escalation: what waits, for how long, and what the escalation changed. */
export function escalationNoteText(doc: EffectApproval, escalation: Escalation): string {
  const waited = Math.round(escalation.afterSeconds / 60);
  const lines = [
    `Cheqpoint: approval ${doc._id} (${doc.summary}) has waited ${waited >= 1 ? `${waited} min` : `${escalation.afterSeconds} s`} without a decision and is escalated.`,
  ];
  if (escalation.notifyGroup)
    lines.push(`${escalation.notifyGroup}: please decide it in the Cheqpoint app on this ticket.`);
  if (escalation.deciders)
    lines.push(
      `Also allowed to decide now: ${describeDeciders({ ...escalation.deciders, label: undefined }).replace(/^Needs /, '')}.`,
    );
  if (escalation.priority) lines.push(`Ticket priority raised to ${escalation.priority}.`);
  lines.push(`It expires at ${doc.expiresAt.toISOString()}.`);
  return lines.join('\n');
}

/**
 * What Zendesk is told of an approval, as the two hooks the approvals context calls (onCreated,
 * onDecided): the effects are queued in the Zendesk outbox and sent in the background, so an approval
 * and its answer never wait for Zendesk, and a failure only costs a retry. Runs in the one process
 * that stored the approval or won its decision, so each effect is queued once.
 */
export function zendeskEffects(deps: ZendeskEffectsDeps) {
  /** Intake's queueing of an approval, which its decision's queueing waits for (policy decides at once). */
  const created = new Map<string, Promise<void>>();

  async function queue(effects: NewEffect[]) {
    const at = deps.clock.now();
    const inserted = await Promise.all(effects.map((e) => deps.outbox.enqueue(e, at)));
    deps.dispatcher.sendNow(effects.filter((_, i) => inserted[i]).map((e) => entryId(e.approvalId, e.effect)));
  }

  const warn = (approvalId: string) => (err: unknown) =>
    deps.logger.warn('zendesk effects not queued', {
      approvalId,
      error: err instanceof Error ? err.message : String(err),
    });

  return {
    onCreated(doc: EffectApproval) {
      if (!isZendeskTicket(doc.ticketId)) return;
      const ticketId = doc.ticketId;
      const work = (async () => {
        if (!(await deps.connections.find(doc.accountId))) return;
        const base = { approvalId: doc._id, accountId: doc.accountId, ticketId, text: null };
        await queue([
          { ...base, effect: 'tag' },
          { ...base, effect: 'notify-created' },
        ]);
      })().catch(warn(doc._id));
      created.set(doc._id, work);
      void work.finally(() => created.delete(doc._id));
    },

    /** An escalation: the ticket's priority, a note naming the group, and a push to the open sidebars. */
    onEscalated(doc: EffectApproval, escalation: Escalation) {
      if (!isZendeskTicket(doc.ticketId)) return;
      const ticketId = doc.ticketId;
      void (async () => {
        if (!(await deps.connections.find(doc.accountId))) return;
        const base = { approvalId: doc._id, accountId: doc.accountId, ticketId };
        await queue([
          ...(escalation.priority ? [{ ...base, effect: 'priority' as const, text: escalation.priority }] : []),
          { ...base, effect: 'escalation-note', text: escalationNoteText(doc, escalation) },
          { ...base, effect: 'notify-escalated', text: null },
        ]);
      })().catch(warn(doc._id));
    },

    /**
     * Queues the public reply of a decided approval (actions/ asks, once its execution succeeded),
     * held `holdMs` so the caller records it first; `releaseReply` sends it then. Queued once per
     * approval (its entry's key), so it is added once however often this is asked.
     */
    async queueReply(
      reply: { approvalId: string; accountId: string; ticketId: string | null; text: string; authorId: string | null },
      holdMs: number,
    ): Promise<'queued' | 'no-ticket' | 'no-connection'> {
      if (!isZendeskTicket(reply.ticketId)) return 'no-ticket';
      if (!(await deps.connections.find(reply.accountId))) return 'no-connection';
      const at = new Date(deps.clock.now().getTime() + holdMs);
      await deps.outbox.enqueue(
        {
          approvalId: reply.approvalId,
          accountId: reply.accountId,
          ticketId: reply.ticketId,
          effect: 'reply',
          text: reply.text,
          ...(reply.authorId ? { authorId: reply.authorId } : {}),
        },
        at,
      );
      return 'queued';
    },

    /** Sends a reply queued by queueReply now. */
    async releaseReply(approvalId: string) {
      const id = entryId(approvalId, 'reply');
      if (await deps.outbox.bringForward(id, deps.clock.now())) deps.dispatcher.sendNow([id]);
    },

    onDecided(decision: EffectDecision, doc: EffectApproval) {
      if (!isZendeskTicket(doc.ticketId)) return;
      const ticketId = doc.ticketId;
      void (async () => {
        await created.get(doc._id);
        if (!(await deps.connections.find(doc.accountId))) return;
        const base = { approvalId: doc._id, accountId: doc.accountId, ticketId, text: null };
        const note = noteOf(doc, decision);
        await queue([
          { ...base, effect: 'notify-decided' },
          { ...base, effect: 'untag' },
          ...(note ? [{ ...base, effect: 'note' as const, text: note }] : []),
        ]);
      })().catch(warn(doc._id));
    },
  };
}
export type ZendeskEffects = ReturnType<typeof zendeskEffects>;

import type { ZendeskRequest } from './zendesk-client.js';
import type { ZendeskConnectionDoc, ZendeskOutboxDoc } from './zendesk.model.js';

/** The tag admins build views, triggers and SLAs on. */
export const PENDING_TAG = 'cheqpoint_pending';
/** The app notification's event (the app listens to `api_notification.cheqpoint_changed`). */
export const NOTIFY_EVENT = 'cheqpoint_changed';

/** What the approvals know of a ticket, through their facade (zendesk/ never reads their storage). */
export type TicketState = {
  /** Ids of the ticket's pending approvals. */
  pendingOfTicket: (accountId: string, ticketId: string) => Promise<string[]>;
};

/** What an app notification says changed. */
const CHANGE_OF = {
  'notify-created': 'created',
  'notify-decided': 'decided',
  'notify-escalated': 'escalated',
} as const;

/**
 * The request an effect makes now, or null when there is nothing left to do: an approval decided
 * before its tag went out needs no tag; a ticket with another approval still pending keeps its tag.
 */
export async function requestOf(
  entry: ZendeskOutboxDoc,
  connection: ZendeskConnectionDoc,
  tickets: TicketState,
): Promise<ZendeskRequest | null> {
  const ticket = `/api/v2/tickets/${entry.ticketId}`;
  switch (entry.effect) {
    case 'tag': {
      const pending = await tickets.pendingOfTicket(entry.accountId, entry.ticketId);
      if (!pending.includes(entry.approvalId)) return null;
      return { method: 'PUT', path: `${ticket}/tags.json`, body: { tags: [PENDING_TAG] } };
    }
    case 'untag': {
      const pending = await tickets.pendingOfTicket(entry.accountId, entry.ticketId);
      if (pending.some((id) => id !== entry.approvalId)) return null;
      return { method: 'DELETE', path: `${ticket}/tags.json`, body: { tags: [PENDING_TAG] } };
    }
    case 'notify-created':
    case 'notify-decided':
    case 'notify-escalated':
      return {
        method: 'POST',
        path: '/api/v2/apps/notify.json',
        body: {
          app_id: connection.appId,
          event: NOTIFY_EVENT,
          body: {
            ticketId: entry.ticketId,
            approvalId: entry.approvalId,
            change: CHANGE_OF[entry.effect],
          },
        },
      };
    case 'priority': {
      // Raised only while the approval still waits: a decision just before the escalation went out ends it.
      const pending = await tickets.pendingOfTicket(entry.accountId, entry.ticketId);
      if (!pending.includes(entry.approvalId) || !entry.text) return null;
      return { method: 'PUT', path: `${ticket}.json`, body: { ticket: { priority: entry.text } } };
    }
    case 'reply':
      // Public: it reaches the customer by email or messaging, as if the agent had answered.
      return entry.text
        ? {
            method: 'PUT',
            path: `${ticket}.json`,
            body: {
              ticket: {
                comment: {
                  body: entry.text,
                  public: true,
                  ...(entry.authorId ? { author_id: Number(entry.authorId) } : {}),
                },
              },
            },
          }
        : null;
    case 'note':
    case 'escalation-note':
      return entry.text
        ? { method: 'PUT', path: `${ticket}.json`, body: { ticket: { comment: { body: entry.text, public: false } } } }
        : null;
  }
}

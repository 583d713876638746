import { ticketNoteText as sharedTicketNoteText } from '@cheqpoint/shared';
import type { IZafClient } from '../../types/zaf';
import type { Translate } from '../lib/i18n';
import type { ApprovalView } from './approval-view';

/**
 * The internal note's text: who decided what, the note and the changes. Built by shared/ so the
 * gateway's own notes (decisions by policy or expiry) read the same way.
 */
export function ticketNoteText(approval: ApprovalView, agentName: string, t: Translate): string {
  return sharedTicketNoteText(approval, { type: 'agent', name: agentName }, t);
}

/**
 * Adds a private comment to the ticket through the Zendesk API, as the signed-in agent: Zendesk's own
 * audit then records who decided, independently of what the app told the gateway.
 */
export async function addTicketNote(client: IZafClient, ticketId: string, body: string): Promise<void> {
  if (!/^\d+$/.test(ticketId)) return;
  await client.request({
    url: `/api/v2/tickets/${ticketId}.json`,
    type: 'PUT',
    contentType: 'application/json',
    data: JSON.stringify({ ticket: { comment: { body, public: false } } }),
  });
}

import type { IZafClient } from '../../types/zaf';
import type { Translate } from '../lib/i18n';
import { diffDetails } from '../lib/details-form';
import { formatJson } from '../lib/format';
import type { ApprovalView } from './approval-view';

/** The internal note's text: who decided what, the note and the changes. */
export function ticketNoteText(approval: ApprovalView, agentName: string, t: Translate): string {
  const values = {
    agent: agentName,
    summary: approval.summary,
    action: approval.action,
    approvalId: approval.approvalId,
  };
  const changes = approval.modifiedDetails ? diffDetails(approval.details, approval.modifiedDetails) : [];
  const lines = [
    approval.status === 'rejected'
      ? t('ticket_note_rejected', values)
      : t(changes.length > 0 ? 'ticket_note_approved_changes' : 'ticket_note_approved', values),
  ];
  if (approval.decisionNote) lines.push(t('ticket_note_reason', { note: approval.decisionNote }));
  if (changes.length > 0) {
    const text = changes.map((c) => `${c.key}: ${formatJson(c.before)} → ${formatJson(c.after)}`).join('; ');
    lines.push(t('ticket_note_changes', { changes: text }));
  }
  return lines.join('\n');
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

import { describe, expect, it } from 'vitest';
import { TICKET_NOTE_EN, type TicketNoteKey } from '@cheqpoint/shared';
import { ticketNoteText } from '../../zendesk-app/src/app/api/ticket-note';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { createTranslator } from '../../zendesk-app/src/app/lib/i18n';
import de from '../../zendesk-app/src/translations/de.json';
import en from '../../zendesk-app/src/translations/en.json';

const approval = {
  approvalId: 'apr_1',
  status: 'approved',
  summary: 'Refund order 77',
  action: 'refund',
  details: { ticket_id: '9921', amount: 40, reason: 'late' },
  modifiedDetails: { ticket_id: '9921', amount: 25, reason: 'late', extra: true },
  decisionNote: 'Half is fair',
} as unknown as ApprovalView;

describe('The internal ticket note', () => {
  it('When the gateway writes a note in English, then its wording is the app’s English wording, key for key', () => {
    const ui = en.ui as Record<string, string>;
    for (const [key, text] of Object.entries(TICKET_NOTE_EN)) expect(ui[key], key).toBe(text);
    const german = de.ui as Record<string, string>;
    for (const key of Object.keys(TICKET_NOTE_EN) as TicketNoteKey[]) expect(german[key], key).toBeTruthy();
  });

  it('When an agent approves with changes, then the note names the agent, the note and each change', () => {
    expect(ticketNoteText(approval, 'Ada Lovelace', createTranslator('en'))).toBe(
      [
        'Cheqpoint: Ada Lovelace approved “Refund order 77” with changes (refund, apr_1).',
        'Note: Half is fair',
        'Changes: amount: 40 → 25; extra: undefined → true',
      ].join('\n'),
    );
  });

  it('When an agent rejects, then the note says so in the agent’s language', () => {
    const rejected = { ...approval, status: 'rejected', modifiedDetails: null, decisionNote: null } as ApprovalView;
    expect(ticketNoteText(rejected, 'Ada', createTranslator('de'))).toBe(
      'Cheqpoint: Ada hat „Refund order 77“ abgelehnt (refund, apr_1).',
    );
  });
});

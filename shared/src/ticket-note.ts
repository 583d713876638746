/**
 * The internal note a decision leaves on its Zendesk ticket, built the same way by the sidebar (a
 * person's decision, in the agent's language) and by the gateway (a decision by policy or expiry, in
 * English). Only the wording's structure lives here; the app passes its translations, the gateway
 * TICKET_NOTE_EN (kept equal to the app's English strings by a test).
 */

export type TicketNoteKey =
  | 'ticket_note_approved'
  | 'ticket_note_approved_changes'
  | 'ticket_note_rejected'
  | 'ticket_note_policy_approved'
  | 'ticket_note_policy_rejected'
  | 'ticket_note_expired'
  | 'ticket_note_reason'
  | 'ticket_note_changes';

export type TicketNoteTranslate = (key: TicketNoteKey, values: Record<string, string>) => string;

/** What the note tells of the approval. */
export type TicketNoteSubject = {
  approvalId: string;
  status: 'pending' | 'approved' | 'rejected';
  summary: string;
  action: string;
  details: Record<string, unknown>;
  modifiedDetails: Record<string, unknown> | null;
  decisionNote: string | null;
};

/** Who decided: a person (by name), a policy rule, or the approval's expiry. */
export type TicketNoteDecider = { type: 'agent'; name: string } | { type: 'policy'; rule: string } | { type: 'expiry' };

/** The English wording, for the gateway (the app's translations/en.json holds the same strings). */
export const TICKET_NOTE_EN: Record<TicketNoteKey, string> = {
  ticket_note_approved: 'Cheqpoint: {{agent}} approved “{{summary}}” ({{action}}, {{approvalId}}).',
  ticket_note_approved_changes:
    'Cheqpoint: {{agent}} approved “{{summary}}” with changes ({{action}}, {{approvalId}}).',
  ticket_note_rejected: 'Cheqpoint: {{agent}} rejected “{{summary}}” ({{action}}, {{approvalId}}).',
  ticket_note_policy_approved:
    'Cheqpoint: “{{summary}}” was approved automatically by the account’s approval policy (rule {{rule}}; {{action}}, {{approvalId}}).',
  ticket_note_policy_rejected:
    'Cheqpoint: “{{summary}}” was rejected automatically by the account’s approval policy (rule {{rule}}; {{action}}, {{approvalId}}).',
  ticket_note_expired:
    'Cheqpoint: “{{summary}}” expired before anyone decided, so it was rejected ({{action}}, {{approvalId}}).',
  ticket_note_reason: 'Note: {{note}}',
  ticket_note_changes: 'Changes: {{changes}}',
};

/** `{{name}}` placeholders of an English template filled in. */
export const englishTicketNote: TicketNoteTranslate = (key, values) =>
  TICKET_NOTE_EN[key].replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Stable JSON of a value (object keys sorted), to compare details. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** `key: before → after` for each top-level detail a decision changed, added or removed. */
export function changedDetails(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (!(key in after) || canonical(value) !== canonical(after[key])) {
      lines.push(`${key}: ${formatValue(value)} → ${formatValue(after[key])}`);
    }
  }
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) lines.push(`${key}: ${formatValue(undefined)} → ${formatValue(value)}`);
  }
  return lines;
}

/** The note's text: who decided what, the decision's note and the changes. */
export function ticketNoteText(subject: TicketNoteSubject, decider: TicketNoteDecider, t: TicketNoteTranslate): string {
  const values: Record<string, string> = {
    summary: subject.summary,
    action: subject.action,
    approvalId: subject.approvalId,
  };
  const changes = subject.modifiedDetails ? changedDetails(subject.details, subject.modifiedDetails) : [];
  const isRejected = subject.status === 'rejected';
  let headline: string;
  if (decider.type === 'expiry') headline = t('ticket_note_expired', values);
  else if (decider.type === 'policy') {
    headline = t(isRejected ? 'ticket_note_policy_rejected' : 'ticket_note_policy_approved', {
      ...values,
      rule: decider.rule,
    });
  } else {
    const withAgent = { ...values, agent: decider.name };
    headline = isRejected
      ? t('ticket_note_rejected', withAgent)
      : t(changes.length > 0 ? 'ticket_note_approved_changes' : 'ticket_note_approved', withAgent);
  }
  const lines = [headline];
  if (subject.decisionNote) lines.push(t('ticket_note_reason', { note: subject.decisionNote }));
  if (changes.length > 0) lines.push(t('ticket_note_changes', { changes: changes.join('; ') }));
  return lines.join('\n');
}

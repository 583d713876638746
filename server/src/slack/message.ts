import {
  decidersAt,
  describeDeciders,
  type Approval,
  type DecidedBy,
  type DecisionChannel,
  type Escalation,
} from '@cheqpoint/shared';
import { currencyOf, detailText } from './money.js';

/** Action ids of the message's buttons and of the rejection modal (interactions.ts reads them). */
export const APPROVE_ACTION = 'approve';
export const REJECT_ACTION = 'reject';
export const OPEN_ACTION = 'open_zendesk';
export const REJECT_MODAL = 'cheqpoint_reject';
export const NOTE_BLOCK = 'note';
export const NOTE_INPUT = 'note_input';
/** The sidebar's limit on a note (DecisionRequestSchema). */
export const MAX_NOTE = 2000;

/** A message for chat.postMessage / chat.update: the text fallback (notifications, screen readers) and blocks. */
export type SlackMessage = { text: string; blocks: Record<string, unknown>[] };

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Slack's mrkdwn needs &, < and > escaped in text we did not write. */
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
/** A time Slack shows in the reader's own zone, with the ISO time as fallback. */
const slackDate = (iso: string) =>
  `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso.replace(/\.\d{3}Z$/, 'Z')}>`;

/** "24 h left", "35 min left": how long until `iso`, from `now`. */
export function timeLeft(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((Date.parse(iso) - now.getTime()) / 1000));
  if (seconds >= 2 * 86_400) return `${Math.round(seconds / 86_400)} days left`;
  if (seconds >= 3_600) return `${Math.round(seconds / 3_600)} h left`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min left`;
  return `${seconds} s left`;
}

/** Who may decide, in the sidebar's words: the rule's deciders (with the escalation's once due), a quorum. */
export function whoMayDecide(approval: Approval, now: Date): string {
  const deciders = decidersAt(approval.policy, approval.escalatesAt, now);
  const who = deciders ? describeDeciders(deciders) : 'Any agent';
  const required = approval.quorum?.required ?? 1;
  return required > 1 ? `${who} (${required} approvers, ${approval.quorum?.approvals.length ?? 0} so far)` : who;
}

const VIA: Record<DecisionChannel, string> = {
  slack: ' in Slack',
  sidebar: ' in Zendesk',
  queue: ' in the Zendesk queue',
  api: '',
};

/** Who decided, for the updated message. */
export function deciderText(by: DecidedBy): string {
  switch (by.type) {
    case 'agent': {
      const via = by.channel ? VIA[by.channel] : '';
      return `${esc(by.name)}${by.slackUserId ? ` (<@${by.slackUserId}>)` : ''}${via}`;
    }
    case 'policy':
      return `policy rule ${esc(by.rule)}`;
    case 'expiry':
      return 'nobody decided in time';
  }
}

function headerOf(approval: Approval) {
  return { type: 'header', text: { type: 'plain_text', text: clip(`${approval.action}: ${approval.summary}`, 150) } };
}

/** Risk, expiry, deciders, ticket and the first details, as up to 10 short fields. */
function fieldsOf(approval: Approval, now: Date, isPending: boolean) {
  const fields = [
    ...(approval.riskLevel ? [mrkdwn(`*Risk*\n${approval.riskLevel}`)] : []),
    ...(isPending
      ? [mrkdwn(`*Expires*\n${slackDate(approval.expiresAt)} (${timeLeft(approval.expiresAt, now)})`)]
      : []),
    ...(isPending ? [mrkdwn(`*Who may decide*\n${esc(whoMayDecide(approval, now))}`)] : []),
    ...(approval.ticketId ? [mrkdwn(`*Ticket*\n#${esc(approval.ticketId)}`)] : []),
  ];
  const currency = currencyOf(approval.details);
  for (const [key, value] of Object.entries(approval.details)) {
    if (fields.length >= 10) break;
    if (value === null || value === undefined || (currency && /^currency/i.test(key))) continue;
    fields.push(mrkdwn(`*${esc(clip(key, 40))}*\n${esc(clip(detailText(key, value, currency), 120))}`));
  }
  return { type: 'section', fields };
}

const justificationOf = (approval: Approval) =>
  approval.justification?.trim()
    ? [{ type: 'section', text: mrkdwn(`*Justification*\n${esc(clip(approval.justification.trim(), 600))}`) }]
    : [];

const contextOf = (approval: Approval, ticketUrl: string | null) => ({
  type: 'context',
  elements: [
    mrkdwn(`Cheqpoint approval \`${approval.approvalId}\`${ticketUrl ? ` · <${ticketUrl}|Open in Zendesk>` : ''}`),
  ],
});

/** The pending message: what is asked, the key details, and the Approve, Reject and Open in Zendesk buttons. */
export function pendingMessage(approval: Approval, ticketUrl: string | null, now: Date): SlackMessage {
  const value = approval.approvalId;
  const buttons: Record<string, unknown>[] = [
    {
      type: 'button',
      action_id: APPROVE_ACTION,
      style: 'primary',
      text: { type: 'plain_text', text: 'Approve' },
      value,
    },
    { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value },
    ...(ticketUrl
      ? [
          {
            type: 'button',
            action_id: OPEN_ACTION,
            text: { type: 'plain_text', text: 'Open in Zendesk' },
            url: ticketUrl,
            value,
          },
        ]
      : []),
  ];
  return {
    text: clip(
      `Approval needed: ${approval.action}: ${approval.summary}${approval.ticketId ? ` (ticket #${approval.ticketId})` : ''}, ${timeLeft(approval.expiresAt, now)}`,
      3000,
    ),
    blocks: [
      headerOf(approval),
      fieldsOf(approval, now, true),
      ...justificationOf(approval),
      { type: 'actions', block_id: 'cheqpoint_decide', elements: buttons },
      contextOf(approval, null),
    ],
  };
}

const OUTCOME_WORDS = { approved: 'Approved', rejected: 'Rejected' } as const;

/** The outcome's word: an expiry says so (its recorded outcome is a rejection). */
function outcomeWord(status: keyof typeof OUTCOME_WORDS, by: DecidedBy): string {
  switch (by.type) {
    case 'expiry':
      return 'Expired';
    case 'agent':
    case 'policy':
      return OUTCOME_WORDS[status];
  }
}

/** The message once decided (anywhere): outcome, who, when and note; no buttons. */
export function decidedMessage(approval: Approval, ticketUrl: string | null, now: Date): SlackMessage {
  if (approval.status === 'pending' || !approval.decidedBy) return pendingMessage(approval, ticketUrl, now);
  const outcome = outcomeWord(approval.status, approval.decidedBy);
  const by = deciderText(approval.decidedBy);
  const at = approval.decidedAt ? slackDate(approval.decidedAt) : '';
  const note = approval.decisionNote?.trim()
    ? `\n>${esc(clip(approval.decisionNote.trim(), 1500)).replace(/\n/g, '\n>')}`
    : '';
  const plainBy = approval.decidedBy.type === 'agent' ? approval.decidedBy.name : by;
  return {
    text: clip(`${outcome}: ${approval.action}: ${approval.summary}, by ${plainBy}`, 3000),
    blocks: [
      headerOf(approval),
      { type: 'section', text: mrkdwn(`*${outcome}* by ${by}${at ? ` at ${at}` : ''}${note}`) },
      fieldsOf(approval, now, false),
      ...justificationOf(approval),
      contextOf(approval, ticketUrl),
    ],
  };
}

/** The thread reply of an escalation: how long it waited, who may decide now. */
export function escalationMessage(approval: Approval, escalation: Escalation, now: Date): SlackMessage {
  const waited = Math.round(escalation.afterSeconds / 60);
  const lines = [
    `:rotating_light: Escalated: waited ${waited >= 1 ? `${waited} min` : `${escalation.afterSeconds} s`} without a decision.`,
    `${esc(whoMayDecide(approval, now))} may decide now; ${timeLeft(approval.expiresAt, now)}.`,
    ...(escalation.notifyGroup ? [`${esc(escalation.notifyGroup)}: please decide it.`] : []),
  ];
  return { text: lines.join(' '), blocks: [{ type: 'section', text: mrkdwn(lines.join('\n')) }] };
}

/** The modal Reject opens: the note, required as in the sidebar. */
export function rejectModal(approval: Approval, privateMetadata: string) {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: privateMetadata,
    title: { type: 'plain_text', text: 'Reject approval' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: mrkdwn(`*${esc(clip(`${approval.action}: ${approval.summary}`, 200))}*`) },
      {
        type: 'input',
        block_id: NOTE_BLOCK,
        label: { type: 'plain_text', text: 'Note (required): why is it rejected?' },
        element: {
          type: 'plain_text_input',
          action_id: NOTE_INPUT,
          multiline: true,
          min_length: 1,
          max_length: MAX_NOTE,
        },
      },
    ],
  };
}

import { APPROVAL_ID_PATTERN, decidersAt, type Approval, type Decision } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import {
  rejectModal,
  APPROVE_ACTION,
  MAX_NOTE,
  NOTE_BLOCK,
  NOTE_INPUT,
  REJECT_ACTION,
  REJECT_MODAL,
} from './message.js';
import { callSlack, describeResult } from './slack-api.js';
import type { SlackIdentities, SlackPerson } from './slack-identity.js';
import type { SlackConnectionDoc } from './slack.model.js';
import type { InteractionPayload } from './verify-interaction.js';

/** The decision a Slack user makes, as the approvals' decide use case takes it. */
export type SlackDecision = {
  decision: Decision;
  note?: string;
  agent: { id: string; name: string; email?: string; verified: true; slackUserId: string };
};

/** What Slack asks of the approvals (the gateway wires the approvals facade to it). */
export type SlackApprovals = {
  /** The account's approval, or null when it has none with this id. */
  get: (accountId: string, approvalId: string) => Promise<Approval | null>;
  /** Decides through the same use case as the API (authority, quorum, escalation); throws AppError. */
  decide: (accountId: string, approvalId: string, decision: SlackDecision) => Promise<Approval>;
};

export type SlackInteractionsDeps = {
  approvals: SlackApprovals;
  identities: SlackIdentities;
  clock: Clock;
  logger: Logger;
  timeoutMs: number;
};

/** What to answer Slack at once (within its 3 s), and the work to do after answering. */
export type InteractionOutcome = { response: Record<string, unknown> | null; work: (() => Promise<void>) | null };

const str = (value: unknown) => (typeof value === 'string' ? value : null);

/** The modal's private metadata: the approval and the channel its message is in (for ephemeral answers). */
type ModalContext = { approvalId: string; channel: string };

/**
 * Slack's buttons and modal: Approve decides, Reject opens the note modal (views.open needs the
 * trigger, valid about 3 s, so it goes at once, not through the outbox), the modal's submission
 * rejects. Who decides is the Slack user Slack signed, mapped to Zendesk by email; the approvals then
 * apply exactly the sidebar's authority, quorum and escalation rules. A refusal reaches only the
 * clicking user (chat.postEphemeral) in the API's words, and nothing is written; a decision reaches
 * everyone through the message's update (slack-effects).
 */
export function slackInteractions(deps: SlackInteractionsDeps) {
  const ephemeral = async (connection: SlackConnectionDoc, channel: string | null, user: string, text: string) => {
    if (!channel) return;
    const sent = await callSlack(connection, deps.timeoutMs, (c) => c.chat.postEphemeral({ channel, user, text }));
    if (sent.kind !== 'ok') deps.logger.warn('slack ephemeral not sent', { error: describeResult(sent) });
  };

  /** Maps the user and decides; every refusal becomes the user's ephemeral message. */
  async function decide(
    connection: SlackConnectionDoc,
    context: ModalContext,
    slackUserId: string,
    decision: Decision,
    note?: string,
  ) {
    const { approvalId, channel } = context;
    const tell = (text: string) => ephemeral(connection, channel, slackUserId, text);
    const identified = await deps.identities.identify(connection, slackUserId);
    if (identified.kind !== 'ok') {
      return tell(`Could not read your Slack profile (${identified.reason}); nothing was recorded. Try again.`);
    }
    const person = identified.person;
    if (person.zendesk.kind === 'unavailable') {
      const approval = await deps.approvals.get(connection._id, approvalId);
      if (approval && decidersAt(approval.policy, approval.escalatesAt, deps.clock.now())) {
        return tell(
          `Could not check the authority this approval needs: Zendesk did not answer (${person.zendesk.reason}). Try again.`,
        );
      }
    }
    try {
      const decided = await deps.approvals.decide(connection._id, approvalId, {
        decision,
        ...(note ? { note } : {}),
        agent: agentOf(person),
      });
      if (decided.status === 'pending' && decided.quorum) {
        await tell(
          `Your approval is counted: ${decided.quorum.approvals.length} of ${decided.quorum.required} approvers so far.`,
        );
      }
    } catch (err) {
      if (err instanceof AppError) return tell(err.detail);
      throw err;
    }
  }

  async function openRejectModal(connection: SlackConnectionDoc, context: ModalContext, user: string, trigger: string) {
    const approval = await deps.approvals.get(connection._id, context.approvalId);
    if (!approval) return ephemeral(connection, context.channel, user, `No approval ${context.approvalId}.`);
    if (approval.status !== 'pending') {
      return ephemeral(connection, context.channel, user, `This approval is already ${approval.status}.`);
    }
    const view = rejectModal(approval, JSON.stringify(context));
    const opened = await callSlack(connection, deps.timeoutMs, (c) =>
      c.views.open({ trigger_id: trigger, view } as never),
    );
    if (opened.kind !== 'ok') {
      deps.logger.warn('slack modal not opened', { approvalId: context.approvalId, error: describeResult(opened) });
      await ephemeral(connection, context.channel, user, 'The note form did not open; click Reject again.');
    }
  }

  return {
    /** One verified interaction: the immediate answer, and the work to run after it. */
    handle(connection: SlackConnectionDoc, payload: InteractionPayload): InteractionOutcome {
      const user = str(payload.user?.id);
      if (!user) return { response: null, work: null };
      if (payload.type === 'block_actions') {
        const action = payload.actions?.[0];
        const approvalId = str(action?.value);
        if (!approvalId || !APPROVAL_ID_PATTERN.test(approvalId)) return { response: null, work: null };
        const channel = str(payload.channel?.id) ?? str(payload.container?.channel_id) ?? '';
        const context = { approvalId, channel };
        switch (action?.action_id) {
          case APPROVE_ACTION:
            return { response: null, work: () => decide(connection, context, user, 'approve') };
          case REJECT_ACTION: {
            const trigger = str(payload.trigger_id);
            return { response: null, work: trigger ? () => openRejectModal(connection, context, user, trigger) : null };
          }
          default:
            // Open in Zendesk is a link: Slack opens it and tells us, nothing to do.
            return { response: null, work: null };
        }
      }
      if (payload.type === 'view_submission' && payload.view?.callback_id === REJECT_MODAL) {
        const context = modalContext(payload.view.private_metadata);
        if (!context) return { response: null, work: null };
        const note = noteOf(payload.view.state?.values);
        // Required as in the sidebar: the modal stays open with the error under the field.
        if (!note) {
          return {
            response: { response_action: 'errors', errors: { [NOTE_BLOCK]: 'A note is required to reject' } },
            work: null,
          };
        }
        if (note.length > MAX_NOTE) {
          return {
            response: { response_action: 'errors', errors: { [NOTE_BLOCK]: `At most ${MAX_NOTE} characters` } },
            work: null,
          };
        }
        return { response: null, work: () => decide(connection, context, user, 'reject', note) };
      }
      return { response: null, work: null };
    },
  };
}
export type SlackInteractions = ReturnType<typeof slackInteractions>;

/** The identity a Slack decision carries: the Zendesk user when the email maps to one, else the Slack user. */
function agentOf(person: SlackPerson): SlackDecision['agent'] {
  const email = person.email ? { email: person.email } : {};
  // verified: the id comes from a signed identity (Slack's signature, mapped by email), not from a body.
  if (person.zendesk.kind === 'found') {
    return {
      id: person.zendesk.id,
      name: person.zendesk.name,
      ...email,
      verified: true,
      slackUserId: person.slackUserId,
    };
  }
  return {
    id: `slack:${person.slackUserId}`,
    name: person.name,
    ...email,
    verified: true,
    slackUserId: person.slackUserId,
  };
}

function modalContext(metadata: unknown): ModalContext | null {
  if (typeof metadata !== 'string') return null;
  try {
    const parsed = JSON.parse(metadata) as Partial<ModalContext>;
    if (typeof parsed.approvalId !== 'string' || !APPROVAL_ID_PATTERN.test(parsed.approvalId)) return null;
    return { approvalId: parsed.approvalId, channel: typeof parsed.channel === 'string' ? parsed.channel : '' };
  } catch {
    return null;
  }
}

function noteOf(values: unknown): string | null {
  const block = (values as Record<string, Record<string, { value?: unknown }>> | undefined)?.[NOTE_BLOCK];
  const value = block?.[NOTE_INPUT]?.value;
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

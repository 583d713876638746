import { z } from 'zod';

/** A Slack channel id (`C0123ABCD`, or `G…` for an older private channel), never its #name. */
export const SLACK_CHANNEL_ID_PATTERN = /^[CG][A-Z0-9]{6,20}$/;

export const SlackChannelIdSchema = z
  .string()
  .regex(SLACK_CHANNEL_ID_PATTERN, {
    message: 'A Slack channel id such as C0123ABCD (channel details → About), not its #name',
  })
  .describe('Slack channel id');

/** Where a `require_human` rule's approvals are announced; absent: the account's Slack channel. */
export const NotifySchema = z
  .strictObject({
    slack: SlackChannelIdSchema.optional().describe(
      "Slack channel id to post this rule's approvals to (default: the channel of slack connect)",
    ),
  })
  .describe('Where approvals this rule sends to a person are announced');
export type Notify = z.infer<typeof NotifySchema>;

/**
 * Where a person decided: the Zendesk sidebar or the queue (the app says which), Slack (the gateway's
 * Slack buttons), or `api` (any other caller of the decision endpoint, the default).
 */
export const DECISION_CHANNELS = ['sidebar', 'queue', 'slack', 'api'] as const;
export type DecisionChannel = (typeof DECISION_CHANNELS)[number];
/** What a caller of the decision endpoint may say it is (`slack` is only the gateway's own). */
export const CLIENT_DECISION_CHANNELS = ['sidebar', 'queue'] as const;

import { Schema, type Connection, type Model } from 'mongoose';

/**
 * How the gateway talks to one account's Slack workspace (`slack connect`), keyed by account id. The
 * bot token and signing secret never leave this document except as the Authorization header of a call
 * to `apiUrl` and as the key that checks an interaction's signature.
 */
export type SlackConnectionDoc = {
  _id: string;
  /** Slack's API base, ending in `/` (`https://slack.com/api/`, or a Slack-compatible one). */
  apiUrl: string;
  /** The channel approvals are posted to, unless their rule names another (`notify.slack`). */
  channel: string;
  /** What auth.test said of the token: the workspace (interactions are matched to accounts by it) and the bot. */
  teamId: string;
  teamName: string;
  botUserId: string;
  botName: string;
  botToken: string;
  signingSecret: string;
  createdAt: Date;
  updatedAt: Date;
};

/** What the gateway sends to Slack, one outbox entry per (approval, effect). */
export const SLACK_EFFECTS = ['post', 'update', 'escalation'] as const;
export type SlackEffect = (typeof SLACK_EFFECTS)[number];

/**
 * The Slack outbox: a call still to make, keyed `<approvalId>:<effect>` (inserted by unique `_id`, so
 * each is queued once however many processes see the approval, and a process killed between intake
 * and the post leaves it for the next poll). Removed once sent or given up. Flat fields (FerretDB v1).
 */
export type SlackOutboxDoc = {
  _id: string;
  approvalId: string;
  accountId: string;
  effect: SlackEffect;
  /** The channel to post to (the rule's, else the account's at intake); updates use the post's. */
  channel: string;
  attempts: number;
  dueAt: Date;
  lastError: string | null;
  createdAt: Date;
};

/** Where an approval's message is (chat.postMessage's `channel` and `ts`), keyed by approval id. */
export type SlackMessageDoc = { _id: string; accountId: string; channel: string; ts: string; postedAt: Date };

/** Arbiter of one attempt of one entry: whoever inserts `<entryId>:<attempts>#<generation>` sends it. */
export type SlackClaimDoc = { _id: string; owner: string; createdAt: Date };

/** The last failed attempt of an account's Slack outbox (`slack show`), overwritten by the next one. */
export type SlackFailureDoc = {
  _id: string;
  at: Date;
  approvalId: string;
  effect: SlackEffect;
  attempt: number;
  state: 'retry' | 'failed';
  error: string;
};

/**
 * An interaction signature already accepted (`_id`: its hash), kept for the timestamp window: the same
 * signed body sent again is a replay and refused. Swept once older than the window.
 */
export type SlackSeenDoc = { _id: string; at: Date };

const connectionSchema = new Schema<SlackConnectionDoc>(
  {
    _id: { type: String, required: true },
    apiUrl: { type: String, required: true },
    channel: { type: String, required: true },
    teamId: { type: String, required: true },
    teamName: { type: String, required: true },
    botUserId: { type: String, required: true },
    botName: { type: String, required: true },
    botToken: { type: String, required: true },
    signingSecret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'slack_connections', strict: 'throw' },
);

const outboxSchema = new Schema<SlackOutboxDoc>(
  {
    _id: { type: String, required: true },
    approvalId: { type: String, required: true },
    accountId: { type: String, required: true },
    effect: { type: String, required: true },
    channel: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    dueAt: { type: Date, required: true },
    lastError: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'slack_outbox', strict: 'throw' },
);

const messageSchema = new Schema<SlackMessageDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    channel: { type: String, required: true },
    ts: { type: String, required: true },
    postedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'slack_messages', strict: 'throw' },
);

const claimSchema = new Schema<SlackClaimDoc>(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'slack_claims', strict: 'throw' },
);

const failureSchema = new Schema<SlackFailureDoc>(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    approvalId: { type: String, required: true },
    effect: { type: String, required: true },
    attempt: { type: Number, required: true },
    state: { type: String, required: true },
    error: { type: String, required: true },
  },
  { versionKey: false, collection: 'slack_failures', strict: 'throw' },
);

const seenSchema = new Schema<SlackSeenDoc>(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false, collection: 'slack_seen_signatures', strict: 'throw' },
);

export type SlackModels = {
  SlackConnection: Model<SlackConnectionDoc>;
  SlackOutbox: Model<SlackOutboxDoc>;
  SlackMessage: Model<SlackMessageDoc>;
  SlackClaim: Model<SlackClaimDoc>;
  SlackFailure: Model<SlackFailureDoc>;
  SlackSeen: Model<SlackSeenDoc>;
};

export function slackModels(conn: Connection): SlackModels {
  return {
    SlackConnection:
      conn.models['SlackConnection'] ?? conn.model<SlackConnectionDoc>('SlackConnection', connectionSchema),
    SlackOutbox: conn.models['SlackOutbox'] ?? conn.model<SlackOutboxDoc>('SlackOutbox', outboxSchema),
    SlackMessage: conn.models['SlackMessage'] ?? conn.model<SlackMessageDoc>('SlackMessage', messageSchema),
    SlackClaim: conn.models['SlackClaim'] ?? conn.model<SlackClaimDoc>('SlackClaim', claimSchema),
    SlackFailure: conn.models['SlackFailure'] ?? conn.model<SlackFailureDoc>('SlackFailure', failureSchema),
    SlackSeen: conn.models['SlackSeen'] ?? conn.model<SlackSeenDoc>('SlackSeen', seenSchema),
  } as SlackModels;
}

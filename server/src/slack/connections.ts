import type { Connection } from 'mongoose';
import { SLACK_CHANNEL_ID_PATTERN } from '@cheqpoint/shared';
import { systemClock, type Clock } from '../lib/clock.js';
import { slackModels, type SlackConnectionDoc } from './slack.model.js';

/** Slack's own Web API. */
export const SLACK_API_URL = 'https://slack.com/api/';

/** What `slack connect` stores once auth.test accepted the token (secrets from env vars, never argv). */
export type SlackConnectInput = {
  channel: string;
  apiUrl?: string | null;
  botToken: string;
  signingSecret: string;
};

/** Who the token signs in as, from auth.test. */
export type SlackIdentity = { teamId: string; teamName: string; botUserId: string; botName: string };

/** A connection as the CLI shows it: everything but the token and the signing secret. */
export type SlackConnectionView = Omit<SlackConnectionDoc, '_id' | 'botToken' | 'signingSecret'> & {
  accountId: string;
};

export class SlackConnectionError extends Error {}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The API base: Slack's own, or an override (https, or http on loopback), always ending in `/`. */
export function apiUrlOf(override?: string | null): string {
  if (!override) return SLACK_API_URL;
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new SlackConnectionError(`--api-url "${override}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new SlackConnectionError('--api-url must be https (plain http only for 127.0.0.1, [::1] or localhost)');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new SlackConnectionError('--api-url takes no credentials, query or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/*$/, '/')}`;
}

/** The input checked (a SlackConnectionError names what is wrong); nothing is stored here. */
export function checkConnectInput(input: SlackConnectInput): SlackConnectInput & { apiUrl: string } {
  if (!SLACK_CHANNEL_ID_PATTERN.test(input.channel)) {
    throw new SlackConnectionError(
      `--channel "${input.channel}" is not a Slack channel id (e.g. C0123ABCD: channel details → About, at the bottom)`,
    );
  }
  if (!input.botToken.trim()) throw new SlackConnectionError('SLACK_BOT_TOKEN is empty');
  if (!input.signingSecret.trim()) throw new SlackConnectionError('SLACK_SIGNING_SECRET is empty');
  return {
    channel: input.channel,
    apiUrl: apiUrlOf(input.apiUrl),
    botToken: input.botToken.trim(),
    signingSecret: input.signingSecret.trim(),
  };
}

export function toSlackConnectionView(doc: SlackConnectionDoc): SlackConnectionView {
  const { _id, botToken: _token, signingSecret: _secret, ...rest } = doc;
  return { accountId: _id, ...rest };
}

/** How long a gateway trusts what it read of a connection (a change applies within this). */
const CACHE_MS = 5_000;

/** Per-account Slack connections (`slack_connections`, keyed by account id). */
export function slackConnections(conn: Connection, clock: Clock = systemClock) {
  const { SlackConnection } = slackModels(conn);
  const cache = new Map<string, { doc: SlackConnectionDoc | null; at: number }>();
  let byTeam: { docs: SlackConnectionDoc[]; at: number } | null = null;

  return {
    async connect(accountId: string, input: SlackConnectInput, identity: SlackIdentity): Promise<SlackConnectionView> {
      const checked = checkConnectInput(input);
      const now = clock.now();
      const existing = await SlackConnection.findById(accountId, { createdAt: 1 }).lean();
      const doc: SlackConnectionDoc = {
        _id: accountId,
        ...checked,
        ...identity,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await SlackConnection.replaceOne({ _id: accountId }, doc, { upsert: true });
      cache.delete(accountId);
      byTeam = null;
      return toSlackConnectionView(doc);
    },

    async show(accountId: string): Promise<SlackConnectionView | null> {
      const doc = await SlackConnection.findById(accountId).lean<SlackConnectionDoc>();
      return doc ? toSlackConnectionView(doc) : null;
    },

    async disconnect(accountId: string): Promise<boolean> {
      cache.delete(accountId);
      byTeam = null;
      return (await SlackConnection.deleteOne({ _id: accountId })).deletedCount > 0;
    },

    /** The account's connection, read at most every few seconds per account (intake asks on every approval). */
    async find(accountId: string): Promise<SlackConnectionDoc | null> {
      const hit = cache.get(accountId);
      const now = clock.now().getTime();
      if (hit && now - hit.at < CACHE_MS) return hit.doc;
      const doc = await SlackConnection.findById(accountId).lean<SlackConnectionDoc>();
      cache.set(accountId, { doc, at: now });
      if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      return doc;
    },

    /** Every connection (one per connected account: a small collection). */
    async list(): Promise<SlackConnectionDoc[]> {
      return SlackConnection.find({}).lean<SlackConnectionDoc[]>();
    },

    /**
     * The connections of a Slack workspace (an interaction names only its team): a scan of the small
     * connections collection (one document per connected account), kept a few seconds.
     */
    async findByTeam(teamId: string): Promise<SlackConnectionDoc[]> {
      const now = clock.now().getTime();
      if (!byTeam || now - byTeam.at >= CACHE_MS) {
        byTeam = { docs: await SlackConnection.find({}).lean<SlackConnectionDoc[]>(), at: now };
      }
      return byTeam.docs.filter((doc) => doc.teamId === teamId);
    },
  };
}
export type SlackConnections = ReturnType<typeof slackConnections>;

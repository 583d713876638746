import type { Clock } from '../lib/clock.js';
import { callSlack, describeResult } from './slack-api.js';
import type { SlackConnectionDoc } from './slack.model.js';

/** What Zendesk says of an email address (zendesk/staff-directory implements it). */
export type ZendeskUserByEmail =
  | { kind: 'found'; id: string; name: string }
  | { kind: 'unknown' }
  | { kind: 'no-connection' }
  | { kind: 'unavailable'; reason: string };
export type ZendeskPeople = { findByEmail: (accountId: string, email: string) => Promise<ZendeskUserByEmail> };

/**
 * The person behind a Slack click: the Slack user (signed by Slack), their name and email from
 * users.info, and the Zendesk user with that email when there is exactly one (the mapping a rule with
 * `deciders` needs). `zendesk` says why there is none.
 */
export type SlackPerson = {
  slackUserId: string;
  name: string;
  email: string | null;
  zendesk: ZendeskUserByEmail | { kind: 'no-email' };
};

export type SlackIdentityResult = { kind: 'ok'; person: SlackPerson } | { kind: 'unavailable'; reason: string };

type UsersInfo = { user?: { name?: unknown; real_name?: unknown; profile?: { email?: unknown; real_name?: unknown } } };

/** How long a mapping is trusted (a person's Zendesk roles are read fresh by the authority check). */
const CACHE_MS = 60_000;

/** Maps Slack users to people: users.info (needs `users:read.email`), then Zendesk's user search by email. */
export function slackIdentities(deps: { people: ZendeskPeople; clock: Clock; timeoutMs: number }) {
  const cache = new Map<string, { person: SlackPerson; at: number }>();

  async function read(connection: SlackConnectionDoc, slackUserId: string): Promise<SlackIdentityResult> {
    const info = await callSlack(connection, deps.timeoutMs, (c) => c.users.info({ user: slackUserId }));
    if (info.kind !== 'ok') return { kind: 'unavailable', reason: `users.info: ${describeResult(info)}` };
    const user = (info.data as UsersInfo).user;
    const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const name = text(user?.profile?.real_name) ?? text(user?.real_name) ?? text(user?.name) ?? slackUserId;
    const email = text(user?.profile?.email);
    const zendesk = email ? await deps.people.findByEmail(connection._id, email) : ({ kind: 'no-email' } as const);
    return { kind: 'ok', person: { slackUserId, name, email, zendesk } };
  }

  return {
    async identify(connection: SlackConnectionDoc, slackUserId: string): Promise<SlackIdentityResult> {
      const key = `${connection._id}\n${slackUserId}`;
      const now = deps.clock.now().getTime();
      const hit = cache.get(key);
      if (hit && now - hit.at < CACHE_MS) return { kind: 'ok', person: hit.person };
      const result = await read(connection, slackUserId);
      // An outage on either side is asked again next time; only settled answers are kept.
      if (result.kind === 'ok' && result.person.zendesk.kind !== 'unavailable') {
        cache.set(key, { person: result.person, at: now });
        if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      }
      return result;
    },
  };
}
export type SlackIdentities = ReturnType<typeof slackIdentities>;

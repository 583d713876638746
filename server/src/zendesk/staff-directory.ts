import type { StaffLookup } from '../approvals/context.js';
import type { Clock } from '../lib/clock.js';
import type { ZendeskConnections } from './connections.js';
import { readFromZendesk } from './zendesk-client.js';

/** How long a lookup is trusted: a person taken out of a group loses its authority within this. */
const CACHE_MS = 60_000;
/** Groups read per person (one page; Zendesk's largest). */
const GROUPS_PAGE = 100;

type UserBody = { user?: { id?: unknown; name?: unknown; role?: unknown; suspended?: unknown } };
type GroupsBody = { groups?: { name?: unknown; deleted?: unknown }[] };

/**
 * The approvals' `Staff` port: Zendesk roles and group names of verified people, read through the account's Zendesk connection
 * (`GET /api/v2/users/{id}` and `/users/{id}/groups`) when a decision needs authority, never on a list
 * path; answers are kept a minute per person.
 */
export function staffDirectory(connections: ZendeskConnections, clock: Clock, timeoutMs: number) {
  const cache = new Map<string, { lookup: StaffLookup; at: number }>();

  async function read(accountId: string, userId: string): Promise<StaffLookup> {
    const connection = await connections.find(accountId);
    if (!connection) return { kind: 'no-connection' };
    if (!/^\d{1,19}$/.test(userId)) return { kind: 'unknown' };
    const [user, groups] = await Promise.all([
      readFromZendesk(connection, `/api/v2/users/${userId}.json`, { timeoutMs }),
      readFromZendesk(connection, `/api/v2/users/${userId}/groups.json?per_page=${GROUPS_PAGE}`, { timeoutMs }),
    ]);
    if (user.kind === 'status' && user.status === 404) return { kind: 'unknown' };
    if (user.kind !== 'ok') {
      return { kind: 'unavailable', reason: user.kind === 'status' ? `Zendesk answered ${user.status}` : user.message };
    }
    if (groups.kind !== 'ok') {
      return {
        kind: 'unavailable',
        reason: groups.kind === 'status' ? `Zendesk answered ${groups.status} for the groups` : groups.message,
      };
    }
    const found = (user.body as UserBody).user;
    const role = typeof found?.role === 'string' ? found.role : null;
    if (!found || role === null || role === 'end-user' || found.suspended === true) return { kind: 'unknown' };
    const names = ((groups.body as GroupsBody).groups ?? [])
      .filter((g) => g.deleted !== true && typeof g.name === 'string')
      .map((g) => g.name as string);
    return {
      kind: 'found',
      member: { role, groups: names, name: typeof found.name === 'string' ? found.name : userId },
    };
  }

  return {
    async lookup(accountId: string, userId: string): Promise<StaffLookup> {
      const key = `${accountId}\n${userId}`;
      const now = clock.now().getTime();
      const hit = cache.get(key);
      if (hit && now - hit.at < CACHE_MS) return hit.lookup;
      const lookup = await read(accountId, userId);
      // Only what Zendesk answered is kept: a missing connection or an outage is asked again next time.
      if (lookup.kind === 'found' || lookup.kind === 'unknown') {
        cache.set(key, { lookup, at: now });
        if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      }
      return lookup;
    },
  };
}
export type StaffDirectory = ReturnType<typeof staffDirectory>;

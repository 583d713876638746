import type { StaffLookup } from '../approvals/context.js';
import type { Clock } from '../lib/clock.js';
import type { ZendeskConnections } from './connections.js';
import { readFromZendesk } from './zendesk-client.js';

/** A Zendesk user found by email: its id and name, or why there is none (as StaffLookup says it). */
export type UserByEmail =
  | { kind: 'found'; id: string; name: string }
  | { kind: 'unknown' }
  | { kind: 'no-connection' }
  | { kind: 'unavailable'; reason: string };

/** How long a lookup is trusted: a person taken out of a group loses its authority within this. */
const CACHE_MS = 60_000;
/** Groups read per person (one page; Zendesk's largest). */
const GROUPS_PAGE = 100;

type UserBody = { user?: { id?: unknown; name?: unknown; role?: unknown; suspended?: unknown } };
type SearchBody = { users?: { id?: unknown; name?: unknown; email?: unknown; role?: unknown; suspended?: unknown }[] };
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

  const byEmail = new Map<string, { found: UserByEmail; at: number }>();

  /** Zendesk's staff member with exactly this email (user search by email), for mapping another identity (Slack) to Zendesk. */
  async function searchEmail(accountId: string, email: string): Promise<UserByEmail> {
    const connection = await connections.find(accountId);
    if (!connection) return { kind: 'no-connection' };
    const query = encodeURIComponent(`email:${email}`);
    const read = await readFromZendesk(connection, `/api/v2/users/search.json?query=${query}`, { timeoutMs });
    if (read.kind !== 'ok') {
      return { kind: 'unavailable', reason: read.kind === 'status' ? `Zendesk answered ${read.status}` : read.message };
    }
    const wanted = email.trim().toLowerCase();
    // Search matches loosely: only an exact address of a staff member, and only one, is a mapping.
    const staff = ((read.body as SearchBody).users ?? []).filter(
      (u) =>
        typeof u.email === 'string' &&
        u.email.trim().toLowerCase() === wanted &&
        typeof u.role === 'string' &&
        u.role !== 'end-user' &&
        u.suspended !== true &&
        (typeof u.id === 'number' || typeof u.id === 'string'),
    );
    const [user] = staff;
    if (staff.length !== 1 || !user) return { kind: 'unknown' };
    return { kind: 'found', id: String(user.id), name: typeof user.name === 'string' ? user.name : wanted };
  }

  return {
    /** The staff member with this email, kept a minute (an outage is asked again next time). */
    async findByEmail(accountId: string, email: string): Promise<UserByEmail> {
      const key = `${accountId}\n${email.trim().toLowerCase()}`;
      const now = clock.now().getTime();
      const hit = byEmail.get(key);
      if (hit && now - hit.at < CACHE_MS) return hit.found;
      const found = await searchEmail(accountId, email);
      if (found.kind === 'found' || found.kind === 'unknown') {
        byEmail.set(key, { found, at: now });
        if (byEmail.size > 10_000) byEmail.delete(byEmail.keys().next().value as string);
      }
      return found;
    },

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

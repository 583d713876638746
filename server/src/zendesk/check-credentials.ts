import { readFromZendesk, type ZendeskTarget } from './zendesk-client.js';

/** Who the credentials sign in as, as Zendesk's `GET /api/v2/users/me.json` tells. */
export type ZendeskSelf = { id: number; name: string; email: string | null; role: string };

/** Whether Zendesk accepts a connection's credentials, and as whom; never carries the secret. */
export type CredentialsCheck = { ok: true; user: ZendeskSelf } | { ok: false; reason: string };

/** Long enough for a slow Zendesk, short enough that `zendesk connect` does not seem to hang. */
const CHECK_TIMEOUT_MS = 10_000;

/** Why a status refuses the credentials, in words an admin can act on. */
function refusalOf(status: number, target: ZendeskTarget): string {
  const who =
    target.authKind === 'oauth' ? 'the OAuth access token' : `the API token of ${target.email ?? 'the --email user'}`;
  switch (status) {
    case 401:
      return `Zendesk refused ${who} (HTTP 401): check the token, and for an API token --email (the user it belongs to) and that token access is on (Admin Center → Apps and integrations → APIs → Zendesk API)`;
    case 403:
      return `Zendesk answered HTTP 403 to ${who}: the user may not use the API (suspended, or an end user)`;
    case 404:
      return `No Zendesk API at ${target.baseUrl} (HTTP 404): check --subdomain (or --url)`;
    default:
      return `Zendesk answered HTTP ${status} at ${target.baseUrl}: try again, or check --subdomain (or --url)`;
  }
}

/**
 * Asks Zendesk who the credentials sign in as (`GET /api/v2/users/me.json`) before they are stored,
 * so a wrong token is refused at `zendesk connect` rather than showing up later as effects given up.
 * Zendesk answers an unauthenticated caller with an anonymous user (no id) rather than a 401 on some
 * paths: that counts as refused too.
 */
export async function checkCredentials(target: ZendeskTarget): Promise<CredentialsCheck> {
  const read = await readFromZendesk(target, '/api/v2/users/me.json', { timeoutMs: CHECK_TIMEOUT_MS });
  switch (read.kind) {
    case 'error':
      return { ok: false, reason: `Could not reach Zendesk at ${target.baseUrl} (${read.message})` };
    case 'status':
      return { ok: false, reason: refusalOf(read.status, target) };
    case 'ok': {
      const user = (read.body as { user?: Partial<ZendeskSelf> | null } | null)?.user;
      if (!user || typeof user.id !== 'number') return { ok: false, reason: refusalOf(401, target) };
      if (user.role !== 'admin' && user.role !== 'agent') return { ok: false, reason: refusalOf(403, target) };
      return {
        ok: true,
        user: { id: user.id, name: String(user.name ?? ''), email: user.email ?? null, role: user.role },
      };
    }
  }
}

/** What the role allows, for `zendesk connect` to say (notify-app is for admins only). */
export function roleNote(role: string): string {
  const notAdmin = (who: string) =>
    `${who}, not an admin: Zendesk allows notify-app to admins only, so the app's live notifications will be refused (403); connect with an admin's token for them`;
  switch (role) {
    case 'admin':
      return 'an admin: tags, internal notes and app notifications (notify-app) are allowed';
    case 'agent':
      return notAdmin('an agent');
    default:
      return notAdmin(`role ${role}`);
  }
}

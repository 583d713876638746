import { callSlack } from './slack-api.js';
import type { SlackIdentity } from './connections.js';

/** Long enough for a slow Slack, short enough that `slack connect` does not seem to hang. */
const CHECK_TIMEOUT_MS = 10_000;

/** Whether Slack accepts the bot token (auth.test), and as which bot in which workspace; never carries the token. */
export type TokenCheck = { ok: true; identity: SlackIdentity } | { ok: false; reason: string };

/** Why auth.test refused, in words an admin can act on. */
function refusalOf(error: string): string {
  switch (error) {
    case 'invalid_auth':
    case 'not_authed':
    case 'token_revoked':
    case 'token_expired':
    case 'account_inactive':
      return `Slack refused the bot token (${error}): copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page into SLACK_BOT_TOKEN`;
    default:
      return `Slack answered ${error} to auth.test`;
  }
}

/** Asks Slack who the token signs in as (`auth.test`) before anything is stored. */
export async function checkBotToken(target: { apiUrl: string; botToken: string }): Promise<TokenCheck> {
  const result = await callSlack(target, CHECK_TIMEOUT_MS, (c) => c.auth.test());
  switch (result.kind) {
    case 'ok': {
      const data = result.data as { team_id?: unknown; team?: unknown; user_id?: unknown; user?: unknown };
      if (typeof data.team_id !== 'string' || typeof data.user_id !== 'string') {
        return { ok: false, reason: 'auth.test did not name the workspace and the bot: is --api-url a Slack API?' };
      }
      return {
        ok: true,
        identity: {
          teamId: data.team_id,
          teamName: typeof data.team === 'string' ? data.team : data.team_id,
          botUserId: data.user_id,
          botName: typeof data.user === 'string' ? data.user : data.user_id,
        },
      };
    }
    case 'refused':
      return { ok: false, reason: refusalOf(result.error) };
    case 'rate-limited':
      return { ok: false, reason: `Slack is rate limiting auth.test; try again in ${result.retryAfterSeconds} s` };
    case 'http':
      return {
        ok: false,
        reason: `Slack answered HTTP ${result.status} at ${target.apiUrl}: try again, or check --api-url`,
      };
    case 'network':
      return {
        ok: false,
        reason: `No answer from ${target.apiUrl} (${result.message}): check --api-url and the network`,
      };
  }
}

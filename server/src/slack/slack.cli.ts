import { parseArgs } from 'node:util';
import { accountsService } from '../accounts/accounts.service.js';
import type { CliContext } from '../policies/policies.cli.js';
import { checkBotToken } from './check-token.js';
import { checkConnectInput, SlackConnectionError, slackConnections, type SlackConnectionView } from './connections.js';
import { slackOutbox } from './slack-outbox.js';
import type { SlackFailureDoc } from './slack.model.js';

export const SLACK_USAGE = `  slack connect <accountId> --channel <channelId> [--api-url <url>] [--json]
                                     post approvals a person decides to that Slack channel, with
                                     Approve / Reject buttons; the bot token from SLACK_BOT_TOKEN and
                                     the signing secret from SLACK_SIGNING_SECRET (never argv);
                                     Slack is asked first (auth.test): a refused token is not stored
  slack show <accountId> [--json]    the account's Slack connection (never the token or secret) and
                                     the last failed call of its Slack outbox
  slack disconnect <accountId>       stop posting the account's approvals to Slack`;

function describeConnection(view: SlackConnectionView): string {
  return [
    `Slack connection of ${view.accountId}:`,
    `  workspace: ${view.teamName} (${view.teamId})`,
    `  bot:       ${view.botName} (${view.botUserId})`,
    `  channel:   ${view.channel}`,
    `  API:       ${view.apiUrl}`,
    '  token, signing secret: stored (not shown)',
    `  updated:   ${view.updatedAt.toISOString()}`,
    '',
  ].join('\n');
}

type FailureView = Omit<SlackFailureDoc, '_id'>;

function describeFailure(failure: FailureView | null): string {
  if (!failure) return '  last failure: none\n';
  const outcome = failure.state === 'failed' ? 'given up' : 'will be retried';
  return [
    `  last failure: ${failure.at.toISOString()}, ${failure.error} (${outcome})`,
    `                ${failure.effect} of ${failure.approvalId}, attempt ${failure.attempt}`,
    '',
  ].join('\n');
}

/** `slack connect | show | disconnect`. */
export async function slackCli(argv: string[], ctx: CliContext) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      channel: { type: 'string' },
      'api-url': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, accountId] = positionals;
  if (!command) throw ctx.usageError('slack needs a command: connect, show or disconnect');
  if (!accountId) throw ctx.usageError(`slack ${command} needs an account id (see account list)`);

  if (command === 'connect') {
    if (!values.channel) throw ctx.usageError('slack connect needs --channel <channelId> (e.g. C0123ABCD)');
    const botToken = process.env['SLACK_BOT_TOKEN']?.trim() ?? '';
    const signingSecret = process.env['SLACK_SIGNING_SECRET']?.trim() ?? '';
    if (!botToken) throw ctx.usageError('Set SLACK_BOT_TOKEN to the bot token (xoxb-…) of your Slack app');
    if (!signingSecret)
      throw ctx.usageError("Set SLACK_SIGNING_SECRET to your Slack app's signing secret (Basic Information)");
    let input;
    try {
      input = checkConnectInput({
        channel: values.channel,
        apiUrl: values['api-url'] ?? null,
        botToken,
        signingSecret,
      });
    } catch (err) {
      if (err instanceof SlackConnectionError) throw ctx.usageError(err.message);
      throw err;
    }
    // Asked before the database is opened: a refused token stores nothing and changes no connection.
    const check = await checkBotToken(input);
    if (!check.ok) throw new Error(check.reason);
    const view = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) return null;
      return slackConnections(conn).connect(accountId, input, check.identity);
    });
    if (!view) throw ctx.usageError(`No account ${accountId}`);
    if (values.json) {
      ctx.write(`${JSON.stringify(view, null, 2)}\n`);
      return;
    }
    ctx.write(`Slack accepts the token: bot ${view.botName} in ${view.teamName}.\n${describeConnection(view)}`);
    ctx.write(
      'Invite the bot to the channel (/invite @your-app), and set the Interactivity Request URL to https://<gateway>/api/slack/interactions.\nA running gateway uses it within 5 seconds.\n',
    );
    return;
  }
  if (command === 'show') {
    const shown = await ctx.withDatabase(async (conn) => {
      const view = await slackConnections(conn).show(accountId);
      if (!view) return null;
      const failure = await slackOutbox(conn).lastFailure(accountId);
      const { _id: _ignored, ...lastFailure } = failure ?? { _id: null };
      return { view, lastFailure: failure ? (lastFailure as FailureView) : null };
    });
    if (!shown) throw ctx.usageError(`Account ${accountId} has no Slack connection`);
    ctx.write(
      values.json
        ? `${JSON.stringify({ ...shown.view, lastFailure: shown.lastFailure }, null, 2)}\n`
        : describeConnection(shown.view) + describeFailure(shown.lastFailure),
    );
    return;
  }
  if (command === 'disconnect') {
    const isRemoved = await ctx.withDatabase((conn) => slackConnections(conn).disconnect(accountId));
    if (!isRemoved) throw ctx.usageError(`Account ${accountId} has no Slack connection`);
    ctx.write(
      values.json
        ? `${JSON.stringify({ accountId, disconnected: true })}\n`
        : `Slack connection of ${accountId} removed.\n`,
    );
    return;
  }
  throw ctx.usageError(`Unknown command: slack ${command}`);
}

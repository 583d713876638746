import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { slackModels } from '../../server/src/slack/slack.model.js';
import { runCli } from '../support/cli.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { uniqueDbName } from '../support/gateway.js';

const dbName = uniqueDbName('slack_cli');
let conn: Connection;
let slack: FakeSlack;
let account: CreatedAccount;

/** Runs the CLI exactly as `npm run cheqpoint -- …` does, with `env` added. */
const cli = (env: Record<string, string>, ...args: string[]) => runCli(dbName, args, { env });

beforeAll(async () => {
  slack = await startFakeSlack();
  conn = await connectDatabase(inject('mongodbUri'), dbName);
  account = await accountsService(conn).createAccount('slack-cli');
});
afterAll(async () => {
  await slack?.stop();
  await conn?.dropDatabase().catch(() => {});
  await conn?.close();
});

const SECRET = 'cli-signing-secret-0123456789';

describe('slack connect, show, disconnect', () => {
  it('When the bot token is refused by auth.test, then nothing is stored and an existing connection stays as it was; a good token connects, and show never prints the token or the secret', async () => {
    const bad = await cli(
      { SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_SIGNING_SECRET: SECRET },
      'slack',
      'connect',
      account.accountId,
      '--channel',
      'C0APPROVALS',
      '--api-url',
      slack.url,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Slack refused the bot token (invalid_auth)');
    expect(bad.stderr).not.toContain('xoxb-wrong');
    expect(await slackModels(conn).SlackConnection.countDocuments()).toBe(0);

    const good = await cli(
      { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET },
      'slack',
      'connect',
      account.accountId,
      '--channel',
      'C0APPROVALS',
      '--api-url',
      slack.url,
    );
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`bot cheqpoint in ${slack.teamName}`);
    expect(good.stdout).toContain(slack.teamId);
    expect(good.stdout).not.toContain(slack.botToken);
    expect(good.stdout).not.toContain(SECRET);
    const stored = await slackModels(conn).SlackConnection.findById(account.accountId).lean();
    expect(stored).toMatchObject({ channel: 'C0APPROVALS', teamId: slack.teamId, apiUrl: slack.url });

    const again = await cli(
      { SLACK_BOT_TOKEN: 'xoxb-revoked', SLACK_SIGNING_SECRET: 'other' },
      'slack',
      'connect',
      account.accountId,
      '--channel',
      'C0OTHER00',
      '--api-url',
      slack.url,
    );
    expect(again.code).not.toBe(0);
    expect(await slackModels(conn).SlackConnection.findById(account.accountId).lean()).toEqual(stored);

    const show = await cli({}, 'slack', 'show', account.accountId, '--json');
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({ accountId: account.accountId, channel: 'C0APPROVALS', lastFailure: null });
    expect(show.stdout).not.toContain(slack.botToken);
    expect(show.stdout).not.toContain(SECRET);

    const off = await cli({}, 'slack', 'disconnect', account.accountId);
    expect(off.code).toBe(0);
    expect(await slackModels(conn).SlackConnection.countDocuments()).toBe(0);
  });

  it('When the secrets are missing, the channel is a #name or the API URL is plain http off loopback, then connect refuses with the fix and asks Slack nothing', async () => {
    const calls = slack.calls.length;
    const env = { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET };
    const noToken = await cli(
      { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: '' },
      'slack',
      'connect',
      account.accountId,
      '--channel',
      'C0APPROVALS',
    );
    expect(noToken.code).toBe(64);
    expect(noToken.stderr).toContain('Set SLACK_BOT_TOKEN');
    const name = await cli(
      env,
      'slack',
      'connect',
      account.accountId,
      '--channel',
      '#approvals',
      '--api-url',
      slack.url,
    );
    expect(name.code).toBe(64);
    expect(name.stderr).toContain('is not a Slack channel id');
    const http = await cli(
      env,
      'slack',
      'connect',
      account.accountId,
      '--channel',
      'C0APPROVALS',
      '--api-url',
      'http://slack.example.com/api/',
    );
    expect(http.code).toBe(64);
    expect(http.stderr).toContain('--api-url must be https');
    expect(slack.calls.length).toBe(calls);
  });
});

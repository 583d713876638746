/**
 * `npm run dev` plays Slack: a fake Slack Web API on loopback (the module the tests use), the demo
 * workspace's people, and the demo account connected to it through the CLI (`slack connect … --api-url`),
 * as an admin would connect a real workspace. The bot token and signing secret are made up for this
 * run and given to that CLI child only, through the environment it reads them from (never argv).
 */
import { randomBytes } from 'node:crypto';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import type { ISlackPaneOptions, ISlackPaneUser } from './slack-pane.js';

/** The demo channel the account posts to (a Slack channel id: C + upper-case letters and digits). */
export const DEMO_SLACK_CHANNEL = 'C0CHEQDEMO';
export const DEMO_SLACK_CHANNEL_NAME = 'cheqpoint-approvals';

/**
 * The demo workspace: Ada, Grace and Margaret have the emails of the harness's Zendesk users (so a
 * rule with deciders maps them to their Zendesk authority), Sam has no Zendesk account (refused where
 * the rule names deciders, recorded as the Slack user where it does not).
 */
export const DEMO_SLACK_USERS: ISlackPaneUser[] = [
  { id: 'U0ADA', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'U0GRACE', name: 'Grace Hopper', email: 'grace@example.com' },
  { id: 'U0MARGARET', name: 'Margaret Hamilton', email: 'margaret@example.com' },
  { id: 'U0SAM', name: 'Sam Rivera', email: 'sam@example.org' },
];

export type DevSlack = { fake: FakeSlack; pane: ISlackPaneOptions };

/** Starts the fake Slack with the demo people; `port` 0 = any (CHEQPOINT_HARNESS_SLACK_PORT). */
export async function startDevSlack(gatewayUrl: string, port = 0): Promise<DevSlack> {
  const botToken = `xoxb-dev-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  const fake = await startFakeSlack({ botToken, signingSecret, teamName: 'Cheqpoint demo', port });
  fake.setUsers(DEMO_SLACK_USERS.map((u) => ({ id: u.id, name: u.name, realName: u.name, email: u.email })));
  return {
    fake,
    pane: {
      fake,
      signingSecret,
      interactionsUrl: `${gatewayUrl.replace(/\/+$/, '')}/api/slack/interactions`,
      channel: DEMO_SLACK_CHANNEL,
      channelName: DEMO_SLACK_CHANNEL_NAME,
      users: DEMO_SLACK_USERS,
    },
  };
}

/** The `slack connect` command line and the environment of that one child (token and secret). */
export function slackConnectCommand(
  accountId: string,
  slack: DevSlack,
): { args: string[]; env: Record<string, string> } {
  return {
    args: ['slack', 'connect', accountId, '--channel', DEMO_SLACK_CHANNEL, '--api-url', slack.fake.url],
    env: { SLACK_BOT_TOKEN: slack.fake.botToken, SLACK_SIGNING_SECRET: slack.pane.signingSecret },
  };
}

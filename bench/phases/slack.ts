import { WebClient } from '@slack/web-api';
import { slackConnections } from '../../server/src/slack/connections.js';
import { buttonClick, signedInteraction, startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import type { BenchContext } from '../lib/context.js';
import { request } from '../lib/http.js';
import { sampleBounded, summarize, type Latency } from '../lib/stats.js';

export type SlackResult = {
  /** Intake sent → the fake Slack has the gateway's chat.postMessage for it. */
  intakeToPost: Latency;
  /** Baseline: the same chat.postMessage from the benchmark process with @slack/web-api, sent → answered. */
  directPost: Latency;
  /** Signed Approve click sent to /api/slack/interactions → the held `?wait=20` call's last byte. */
  clickToAnswer: Latency;
  /** Baseline: a plain `GET /api/approvals/{id}` round trip on the same gateway, right after. */
  plainGet: Latency;
  /** For context: the interaction's own round trip (Slack wants it within 3 s). */
  interactionAck: Latency;
  failures: number;
  failureSamples: string[];
};

const CHANNEL = 'C0BENCHSLK';
const SIGNING_SECRET = 'bench-slack-signing-secret';
const USERS = Array.from({ length: 4 }, (_, i) => ({ id: `U0BENCH${i}`, name: `Bench ${i}`, email: null }));

let counter = 0;

/**
 * When the fake answered the gateway's chat.postMessage of each approval (performance.now(), this
 * process's clock), whether it came before or after the intake's own answer.
 */
function postArrivals(fake: FakeSlack) {
  const seen = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const stop = fake.onChange((call) => {
    if (call.method !== 'chat.postMessage' || call.status !== 200) return;
    const id = /apr_[0-9a-f]{32}/.exec(String(call.args['blocks'] ?? ''))?.[0];
    if (!id) return;
    const at = performance.now();
    seen.set(id, at);
    waiting.get(id)?.(at);
  });
  return {
    stop,
    of: (approvalId: string, timeoutMs: number) =>
      new Promise<number>((resolve, reject) => {
        const at = seen.get(approvalId);
        if (at !== undefined) return resolve(at);
        const timer = setTimeout(() => {
          waiting.delete(approvalId);
          reject(new Error(`no chat.postMessage for ${approvalId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(approvalId, (t) => {
          clearTimeout(timer);
          waiting.delete(approvalId);
          resolve(t);
        });
      }),
  };
}

/**
 * Slack against a fake Slack Web API in this process (test/support/fake-slack.ts), the account connected
 * to it as `slack connect --api-url` stores it: each sample creates an approval on gateway A (timed to
 * the gateway's chat.postMessage reaching the fake), holds `GET /api/approvals/{id}?wait=20` on A, then
 * sends a signed Approve click from a Slack user (a rule without deciders: anyone in the channel) and
 * times it to the held call's answer. One sample at a time.
 */
export async function slackPhase(ctx: BenchContext): Promise<SlackResult> {
  const gateway = ctx.gatewayA!;
  const { flowKey, accountId } = ctx.account;
  const fake = await startFakeSlack({ signingSecret: SIGNING_SECRET, teamName: 'Bench' });
  const posts = postArrivals(fake);
  try {
    fake.setUsers(USERS.map((u) => ({ id: u.id, name: u.name })));
    await slackConnections(ctx.conn).connect(
      accountId,
      { channel: CHANNEL, apiUrl: fake.url, botToken: fake.botToken, signingSecret: SIGNING_SECRET },
      { teamId: fake.teamId, teamName: fake.teamName, botUserId: fake.botUserId, botName: 'cheqpoint' },
    );
    // the gateway trusts what it read of a connection for 5 s: past that, every sample sees this one
    await new Promise((r) => setTimeout(r, 5_500));
    const count = ctx.settings.quick ? 15 : 40;
    const run = await sampleBounded({ count, timeMs: 60_000 }, async (i) => {
      const sentAt = performance.now();
      const created = await request(`${gateway.url}/api/webhooks/inbound?wait=0`, {
        method: 'POST',
        headers: { 'x-api-key': flowKey },
        body: {
          action: 'refund',
          summary: 'Refund order (Slack sample)',
          details: { ticket_id: `slk${i % 20}`, order: `slk-${process.pid}-${counter++}`, amount: 25 },
        },
      });
      if (created.status !== 202) throw new Error(`intake answered ${created.status}: ${created.text.slice(0, 200)}`);
      const id = created.json<{ approvalId: string }>().approvalId;
      const intakeToPost = (await posts.of(id, 10_000)) - sentAt;
      const shown = fake.find(id);
      if (!shown) throw new Error(`no message for ${id}`);
      const held = request(`${gateway.url}/api/approvals/${id}?wait=20`, {
        headers: { 'x-api-key': flowKey },
        agent: false,
        timeoutMs: 30_000,
      });
      held.catch(() => {}); // awaited below
      await new Promise((r) => setTimeout(r, ctx.settings.holdDelayMs));
      const user = USERS[i % USERS.length]!.id;
      const { body, headers } = signedInteraction(buttonClick(fake, shown, 'approve', user), SIGNING_SECRET);
      const clickAt = performance.now();
      const ack = await fetch(`${gateway.url}/api/slack/interactions`, { method: 'POST', headers, body });
      const ackMs = performance.now() - clickAt;
      if (ack.status !== 200)
        throw new Error(`interaction answered ${ack.status}: ${(await ack.text()).slice(0, 200)}`);
      const answer = await held;
      if (answer.status !== 200 || answer.json<{ status: string }>().status !== 'approved') {
        throw new Error(`held call answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      }
      const plain = await request(`${gateway.url}/api/approvals/${id}`, { headers: { 'x-api-key': flowKey } });
      if (plain.status !== 200) throw new Error(`plain GET answered ${plain.status}`);
      return { intakeToPost, clickToAnswer: answer.endedAt - clickAt, plain: plain.ms, ack: ackMs };
    });
    // Baseline: what the post itself costs, the official client from here to the same fake.
    const client = new WebClient(fake.botToken, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    const blocks = fake.messages[0]?.blocks ?? [];
    const direct = await sampleBounded({ count, timeMs: 20_000 }, async () => {
      const sentAt = performance.now();
      await client.chat.postMessage({ channel: CHANNEL, text: 'Approval needed (baseline)', blocks: blocks as never });
      return performance.now() - sentAt;
    });
    return {
      intakeToPost: summarize(run.results.map((r) => r.intakeToPost)),
      directPost: summarize(direct.results),
      clickToAnswer: summarize(run.results.map((r) => r.clickToAnswer)),
      plainGet: summarize(run.results.map((r) => r.plain)),
      interactionAck: summarize(run.results.map((r) => r.ack)),
      failures: run.failures.length + direct.failures.length,
      failureSamples: [...run.failures, ...direct.failures].slice(0, 3),
    };
  } finally {
    posts.stop();
    await slackConnections(ctx.conn)
      .disconnect(accountId)
      .catch(() => false);
    await fake.stop();
  }
}

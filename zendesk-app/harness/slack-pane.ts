/**
 * The harness's Slack pane (`/slack` on the harness page's origin): what the gateway posted to the fake
 * Slack Web API (test/support/fake-slack.ts, the module the tests use), drawn as a channel, with buttons
 * that send the interaction payloads Slack would send, signed as Slack signs them (`v0` HMAC-SHA256 with
 * the signing secret the demo account's `slack connect` was given), to the gateway's
 * `/api/slack/interactions`. So a newcomer tries the Slack side without a workspace.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import ts from 'typescript';
import { buttonClick, signedInteraction, viewSubmission, type FakeSlack } from '../../test/support/fake-slack.js';

/** A person of the demo workspace; `email` maps them to a Zendesk user (the harness's, by email). */
export interface ISlackPaneUser {
  id: string;
  name: string;
  email: string | null;
}

export interface ISlackPaneOptions {
  /** The fake Slack the gateway's Slack connection points at (`slack connect --api-url`). */
  fake: FakeSlack;
  /** The signing secret the gateway checks interactions with (the one `slack connect` was given). */
  signingSecret: string;
  /**
   * The gateway's Interactivity Request URL, e.g. http://127.0.0.1:3000/api/slack/interactions
   * (default: the harness's gateway URL + /api/slack/interactions).
   */
  interactionsUrl?: string;
  /** The channel the pane shows (the account's channel), e.g. C0CHEQDEMO; its name in the header. */
  channel: string;
  channelName?: string;
  /** Who "Clicking as" offers (they are the fake's users too: users.info answers from them). */
  users: ISlackPaneUser[];
}

/** How a click is signed: as Slack does, with another secret, or with a timestamp 6 minutes old. */
export type SignatureMode = 'valid' | 'forged' | 'stale';

const SIGNATURE_SECRET: Record<SignatureMode, (secret: string) => string> = {
  valid: (secret) => secret,
  forged: () => 'not-the-signing-secret',
  stale: (secret) => secret,
};
const SIGNATURE_AGE_S: Record<SignatureMode, number> = { valid: 0, forged: 0, stale: 6 * 60 };

type Reply = { status: number; body: string; type?: string };

const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function compileClient(): string {
  const source = readFileSync(path.join(import.meta.dirname, 'slack-pane.client.ts'), 'utf8');
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
}

function page(config: unknown): string {
  const css = readFileSync(path.join(import.meta.dirname, 'slack-pane.css'), 'utf8');
  const data = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Slack (harness) – Cheqpoint</title>
<style>${css}</style>
</head>
<body>
<header class="slack-top">
  <strong id="workspace"></strong>
  <label>Clicking as <select id="slack-user"></select></label>
  <label>Signature <select id="slack-signature">
    <option value="valid">as Slack signs it</option>
    <option value="forged">forged (wrong secret)</option>
    <option value="stale">stale (6 min old)</option>
  </select></label>
  <a id="to-zendesk" href="/">Zendesk harness</a>
</header>
<main class="slack-main">
  <nav class="slack-channels" aria-label="Channels"><span class="slack-channel-active" id="channel-name"></span></nav>
  <section class="slack-channel" aria-labelledby="channel-title">
    <h1 id="channel-title"></h1>
    <p class="slack-hint">Messages the gateway posts to the demo channel (a fake Slack Web API on this machine). The buttons send signed interactions to the gateway, as Slack would.</p>
    <ol id="slack-messages" aria-live="polite"></ol>
    <p id="slack-empty">Nothing posted yet: create an approval (curl intake, see the README) and it appears here.</p>
    <p id="slack-status" role="status"></p>
  </section>
</main>
<div id="slack-modal-backdrop" hidden></div>
<script id="slack-config" type="application/json">${data}</script>
<script type="module" src="/slack/pane.js"></script>
</body>
</html>`;
}

/**
 * The pane's routes on the harness page's server: `null` for a path that is not the pane's. The pane
 * remembers which trigger each click carried (the modal views.open opens belongs to that person) and
 * which modals were submitted or closed.
 */
export function slackPane(options: ISlackPaneOptions & { interactionsUrl: string }) {
  const { fake } = options;
  const client = compileClient();
  /** trigger_id → the Slack user who clicked (views.open's modal opens for them). */
  const triggerUser = new Map<string, string>();
  const doneViews = new Set<string>();
  const userIds = new Set(options.users.map((u) => u.id));

  /** Posts a payload to the gateway as Slack would: form-encoded `payload`, signed per `mode`. */
  async function deliver(payload: unknown, mode: SignatureMode): Promise<Reply> {
    const now = Math.floor(Date.now() / 1000) - SIGNATURE_AGE_S[mode];
    const { body, headers } = signedInteraction(payload, SIGNATURE_SECRET[mode](options.signingSecret), now);
    try {
      const res = await fetch(options.interactionsUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      return json(200, { status: res.status, body: await res.text() });
    } catch (err) {
      return json(200, { status: 502, body: `The gateway did not answer: ${(err as Error).message}` });
    }
  }

  const modeOf = (value: unknown): SignatureMode => (value === 'forged' || value === 'stale' ? value : 'valid');

  function state() {
    const channel = options.channel;
    return {
      messages: fake.messages.filter((m) => m.channel === channel),
      ephemerals: fake.ephemerals.filter((e) => e.channel === channel),
      views: fake.views
        .filter((v) => !doneViews.has(v.id))
        .map((v) => ({ id: v.id, user: triggerUser.get(v.triggerId) ?? null, view: v.view })),
    };
  }

  async function click(body: Record<string, unknown>): Promise<Reply> {
    const user = String(body['user'] ?? '');
    if (!userIds.has(user)) return json(400, { error: `user: no Slack user ${user}` });
    const message = fake.messages.find((m) => m.ts === body['ts']);
    if (!message) return json(404, { error: `ts: no message ${String(body['ts'])}` });
    const payload = buttonClick(fake, message, String(body['action'] ?? ''), user);
    triggerUser.set(payload.trigger_id, user);
    return deliver(payload, modeOf(body['signature']));
  }

  async function submit(body: Record<string, unknown>): Promise<Reply> {
    const user = String(body['user'] ?? '');
    const view = fake.views.find((v) => v.id === body['view']);
    if (!view) return json(404, { error: `view: no modal ${String(body['view'])}` });
    const sent = await deliver(viewSubmission(fake, view, user, String(body['note'] ?? '')), modeOf(body['signature']));
    const answer = JSON.parse(sent.body) as { status: number; body: string };
    // Slack keeps the modal open when the answer is `response_action: errors`; else it closes.
    if (answer.status === 200 && !answer.body.includes('"response_action":"errors"')) doneViews.add(view.id);
    return sent;
  }

  return {
    async handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean> {
      let reply: Reply | null = null;
      if (pathname === '/slack' && req.method === 'GET') {
        const config = {
          workspace: fake.teamName,
          channel: options.channel,
          channelName: options.channelName ?? options.channel,
          users: options.users,
        };
        reply = { status: 200, body: page(config), type: 'text/html; charset=utf-8' };
      } else if (pathname === '/slack/pane.js') {
        reply = { status: 200, body: client, type: 'text/javascript; charset=utf-8' };
      } else if (pathname === '/slack/state') {
        reply = json(200, state());
      } else if (pathname === '/slack/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        const stop = fake.onChange((call) => res.write(`event: change\ndata: ${JSON.stringify(call.method)}\n\n`));
        req.on('close', stop);
        return true;
      } else if (req.method === 'POST' && ['/slack/click', '/slack/submit', '/slack/close'].includes(pathname)) {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(await readBody(req)) as Record<string, unknown>;
        } catch {
          body = {};
        }
        if (pathname === '/slack/click') reply = await click(body);
        else if (pathname === '/slack/submit') reply = await submit(body);
        else {
          // Cancel: Slack sends view_closed only when the view asks for it (notify_on_close); ours does not.
          doneViews.add(String(body['view'] ?? ''));
          reply = json(200, state());
        }
      }
      if (!reply) return false;
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json', 'cache-control': 'no-store' });
      res.end(reply.body);
      return true;
    },
  };
}
export type SlackPane = ReturnType<typeof slackPane>;

import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Slack Web API of our own on loopback, for tests, the harness's Slack pane and benchmarks:
 * what the real `@slack/web-api` client calls (`POST {url}{method}`, form-encoded or JSON, the bot
 * token as `Authorization: Bearer`) answered as Slack does, with what was posted kept in memory.
 * Methods: auth.test, chat.postMessage (with `thread_ts`: a thread reply), chat.update,
 * chat.postEphemeral, views.open, users.info. Anything else answers `unknown_method`.
 */

export type FakeSlackUser = { id: string; name: string; realName?: string; email?: string | null };

export type FakeSlackPost = { text: string; blocks: unknown[]; at: number };
export type FakeSlackReply = FakeSlackPost & { ts: string };

/** A message as the channel shows it now (`text`/`blocks`), with its history of updates and its thread. */
export type FakeSlackMessage = {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  postedAt: number;
  /** Every chat.update, oldest first (the message shows the last). */
  updates: FakeSlackPost[];
  /** Thread replies (`thread_ts` = this message's ts), oldest first. */
  replies: FakeSlackReply[];
};

export type FakeSlackEphemeral = { channel: string; user: string; text: string; blocks: unknown[]; at: number };

export type FakeSlackView = { id: string; triggerId: string; view: FakeSlackViewBody; at: number };
export type FakeSlackViewBody = {
  type?: string;
  callback_id?: string;
  private_metadata?: string;
  title?: unknown;
  blocks?: { block_id?: string; element?: { action_id?: string } }[];
  [key: string]: unknown;
};

/** Every call the fake answered, in order (`args` without the token). */
export type FakeSlackCall = { method: string; args: Record<string, unknown>; status: number; at: number };

export type FailNext = { status: number; retryAfter?: number; error?: string; times?: number };

export type FakeSlackOptions = {
  /** The bot token auth.test accepts (default `xoxb-fake-token`); any other gets `invalid_auth`. */
  botToken?: string;
  /** Kept for `signedInteraction` callers that want it from the fake (default `fake-signing-secret`). */
  signingSecret?: string;
  teamId?: string;
  teamName?: string;
  port?: number;
};

export type FakeSlack = {
  /** The API URL to give `slack connect --api-url` (ends with `/api/`). */
  url: string;
  botToken: string;
  signingSecret: string;
  teamId: string;
  teamName: string;
  botUserId: string;
  messages: FakeSlackMessage[];
  ephemerals: FakeSlackEphemeral[];
  views: FakeSlackView[];
  calls: FakeSlackCall[];
  /** Replaces the workspace's people (users.info answers from them). */
  setUsers: (users: FakeSlackUser[]) => void;
  /** The next `times` (default 1) calls of `method` answer `status` (with `Retry-After` for a 429). */
  failNext: (method: string, failure: FailNext) => void;
  /** Drops every failure still queued by failNext. */
  clearFailures: () => void;
  /** The message posted at `channel`/`ts`, or the first whose `text` or blocks mention `needle`. */
  find: (needle: string) => FakeSlackMessage | undefined;
  /** Called after every answered call (the harness pane refreshes on it); returns the unsubscribe. */
  onChange: (listener: (call: FakeSlackCall) => void) => () => void;
  /** Forgets everything posted (the people and failures stay). */
  clear: () => void;
  stop: () => Promise<void>;
};

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-fake-token';
  const teamId = options.teamId ?? 'T0CHEQPNT';
  const teamName = options.teamName ?? 'Acme';
  const botUserId = 'U0CHEQBOT';
  const users = new Map<string, FakeSlackUser>();
  const failures = new Map<string, FailNext[]>();
  const listeners = new Set<(call: FakeSlackCall) => void>();
  let seq = 0;
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

  const fake: FakeSlack = {
    url: '',
    botToken,
    signingSecret: options.signingSecret ?? 'fake-signing-secret',
    teamId,
    teamName,
    botUserId,
    messages: [],
    ephemerals: [],
    views: [],
    calls: [],
    setUsers: (list) => {
      users.clear();
      for (const user of list) users.set(user.id, user);
    },
    failNext: (method, failure) => {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < (failure.times ?? 1); i++) queue.push(failure);
      failures.set(method, queue);
    },
    clearFailures: () => failures.clear(),
    find: (needle) =>
      fake.messages.find(
        (m) => m.ts === needle || m.text.includes(needle) || JSON.stringify(m.blocks).includes(needle),
      ),
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => {
      fake.messages.length = 0;
      fake.ephemerals.length = 0;
      fake.views.length = 0;
      fake.calls.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  /** One method's answer: [HTTP status, JSON body, extra headers]. */
  function answer(method: string, args: Record<string, unknown>, token: string | null): [number, unknown, number?] {
    const failure = failures.get(method)?.shift();
    if (failure) {
      const error = failure.error ?? (failure.status === 429 ? 'ratelimited' : 'fatal_error');
      return [failure.status, { ok: false, error }, failure.retryAfter];
    }
    if (token !== botToken) return [200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' }];
    const now = Date.now();
    const text = typeof args['text'] === 'string' ? args['text'] : '';
    const blocks = parseJson(args['blocks'], []) as unknown[];
    const channel = typeof args['channel'] === 'string' ? args['channel'] : '';
    switch (method) {
      case 'auth.test':
        return [
          200,
          {
            ok: true,
            url: `https://${teamName.toLowerCase()}.slack.com/`,
            team: teamName,
            user: 'cheqpoint',
            team_id: teamId,
            user_id: botUserId,
            bot_id: 'B0CHEQBOT',
          },
        ];
      case 'chat.postMessage': {
        if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return [200, { ok: false, error: 'channel_not_found' }];
        const ts = nextTs();
        const threadTs = typeof args['thread_ts'] === 'string' ? args['thread_ts'] : null;
        if (threadTs) {
          const parent = fake.messages.find((m) => m.channel === channel && m.ts === threadTs);
          if (!parent) return [200, { ok: false, error: 'thread_not_found' }];
          parent.replies.push({ ts, text, blocks, at: now });
        } else {
          fake.messages.push({ channel, ts, text, blocks, postedAt: now, updates: [], replies: [] });
        }
        return [200, { ok: true, channel, ts, message: { text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } }];
      }
      case 'chat.update': {
        const message = fake.messages.find((m) => m.channel === channel && m.ts === args['ts']);
        if (!message) return [200, { ok: false, error: 'message_not_found' }];
        message.text = text;
        message.blocks = blocks;
        message.updates.push({ text, blocks, at: now });
        return [200, { ok: true, channel, ts: message.ts, text }];
      }
      case 'chat.postEphemeral': {
        const user = typeof args['user'] === 'string' ? args['user'] : '';
        if (!users.has(user)) return [200, { ok: false, error: 'user_not_in_channel' }];
        fake.ephemerals.push({ channel, user, text, blocks, at: now });
        return [200, { ok: true, message_ts: nextTs() }];
      }
      case 'views.open': {
        const triggerId = typeof args['trigger_id'] === 'string' ? args['trigger_id'] : '';
        if (!triggerId) return [200, { ok: false, error: 'invalid_trigger_id' }];
        const view = parseJson(args['view'], null) as FakeSlackViewBody | null;
        if (!view) return [200, { ok: false, error: 'invalid_arguments' }];
        const id = `V${String(++seq).padStart(8, '0')}`;
        fake.views.push({ id, triggerId, view, at: now });
        return [200, { ok: true, view: { ...view, id } }];
      }
      case 'users.info': {
        const user = users.get(String(args['user'] ?? ''));
        if (!user) return [200, { ok: false, error: 'user_not_found' }];
        return [
          200,
          {
            ok: true,
            user: {
              id: user.id,
              team_id: teamId,
              name: user.name,
              real_name: user.realName ?? user.name,
              profile: { real_name: user.realName ?? user.name, ...(user.email ? { email: user.email } : {}) },
            },
          },
        ];
      }
      default:
        return [200, { ok: false, error: 'unknown_method' }];
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = new URL(req.url ?? '/', 'http://slack').pathname.replace(/^\/api\//, '');
      const raw = Buffer.concat(chunks).toString('utf8');
      const args: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
        ? (parseJson(raw, {}) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw));
      const bearer = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
      const token = bearer ?? (typeof args['token'] === 'string' ? args['token'] : null);
      delete args['token'];
      const [status, body, retryAfter] = answer(method, args, token);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (status === 429) headers['retry-after'] = String(retryAfter ?? 1);
      res.writeHead(status, headers).end(JSON.stringify(body));
      const call = { method, args, status, at: Date.now() };
      fake.calls.push(call);
      for (const listener of listeners) listener(call);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return fake;
}

function parseJson(value: unknown, fallback: unknown): unknown {
  if (typeof value !== 'string') return value ?? fallback;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return fallback;
  }
}

/** Slack's signature of an interaction: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`. */
export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/**
 * What Slack POSTs to the Interactivity URL for `payload`: the form body (`payload=<json>`) and its
 * headers, signed with `secret` at `timestamp` (Unix seconds, default now).
 */
export function signedInteraction(
  payload: unknown,
  secret: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, body),
    },
  };
}

let triggers = 0;
const triggerId = () => `${Date.now()}.${++triggers}.fake-trigger`;

/** The payload of a click on a button (`actionId`: `approve`, `reject`) of `message` by `userId`. */
export function buttonClick(
  fake: Pick<FakeSlack, 'teamId'>,
  message: Pick<FakeSlackMessage, 'channel' | 'ts' | 'blocks'>,
  actionId: string,
  userId: string,
) {
  const button = findButton(message.blocks, actionId);
  return {
    type: 'block_actions',
    team: { id: fake.teamId },
    user: { id: userId },
    channel: { id: message.channel },
    container: { type: 'message', channel_id: message.channel, message_ts: message.ts },
    message: { ts: message.ts },
    trigger_id: triggerId(),
    response_url: 'https://hooks.slack.invalid/actions/fake',
    actions: [
      { type: 'button', action_id: actionId, block_id: button?.blockId ?? 'actions', value: button?.value ?? '' },
    ],
  };
}

/** The payload of submitting `view` (a modal the gateway opened) with `values` by `userId`: `{ blockId: { actionId: text } }`. */
export function viewSubmission(fake: Pick<FakeSlack, 'teamId'>, view: FakeSlackView, userId: string, text: string) {
  const input = (view.view.blocks ?? []).find((b) => b.element?.action_id);
  const values =
    input?.block_id && input.element?.action_id
      ? { [input.block_id]: { [input.element.action_id]: { type: 'plain_text_input', value: text } } }
      : {};
  return {
    type: 'view_submission',
    team: { id: fake.teamId },
    user: { id: userId },
    trigger_id: triggerId(),
    view: {
      id: view.id,
      type: 'modal',
      callback_id: view.view.callback_id ?? '',
      private_metadata: view.view.private_metadata ?? '',
      state: { values },
    },
  };
}

/** The button with `actionId` in a message's blocks: its block id and value. */
export function findButton(
  blocks: unknown[],
  actionId: string,
): { blockId: string; value: string; url?: string } | null {
  for (const block of blocks as { type?: string; block_id?: string; elements?: Record<string, unknown>[] }[]) {
    if (block.type !== 'actions') continue;
    for (const element of block.elements ?? []) {
      if (element['action_id'] === actionId) {
        return {
          blockId: block.block_id ?? '',
          value: typeof element['value'] === 'string' ? element['value'] : '',
          ...(typeof element['url'] === 'string' ? { url: element['url'] } : {}),
        };
      }
    }
  }
  return null;
}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { billingPane } from './billing-pane.js';
import type { IFakeBilling } from './fake-billing.js';
import { signedUrlToken, type ISignedUrls } from './signed-urls.js';
import { slackPane, type ISlackPaneOptions } from './slack-pane.js';

/** Settings as an admin would enter them; `secure` ones stay on this server, like in Zendesk. */
export interface IHarnessSettings {
  gatewayUrl: string;
  agentKey: string;
  addTicketNote?: boolean;
  /** ISO 4217 code of money whose details name no currency (the app's optional `defaultCurrency`). */
  defaultCurrency?: string;
}

/** A Zendesk group, as `GET /api/v2/users/{id}/groups.json` and ZAF's `currentUser.groups` give it. */
export interface IHarnessGroup {
  id: number;
  name: string;
}

/** A Zendesk user the harness can sign in as (`?user=<id>`) and its API answers about. */
export interface IHarnessUser {
  id: number;
  name: string;
  email: string;
  /** Zendesk's `user.role`: `agent`, `admin` (or `end-user`). */
  role: string;
  locale: string;
  groups?: IHarnessGroup[];
}

export interface IHarnessOptions {
  /** The built package (manifest.json, assets/). */
  distDir: string;
  settings: IHarnessSettings;
  /** Port of the harness page (the "Zendesk" origin); 0 = any. */
  port?: number;
  /** Port of the app's own origin (the iframes load the built app from it, as from Zendesk's CDN); 0 = any. */
  appPort?: number;
  host?: string;
  /**
   * The Zendesk users of this harness: the page is signed in as the one `?user=<id>` names (default:
   * `currentUser`, else the first), and `GET /api/v2/users/{id}.json` and `…/groups.json` answer for them.
   */
  users?: IHarnessUser[];
  /** The signed-in user by default; the only user when `users` is absent. */
  currentUser?: IHarnessUser;
  /** Ticket subjects `GET /api/v2/tickets/show_many.json` answers with, by ticket id (others are left out). */
  ticketSubjects?: Record<string, string>;
  /** The requester's first message of each ticket, shown in the ticket view (listing screenshots, `npm run dev`). */
  ticketMessages?: Record<string, { requester: string; body: string }>;
  /**
   * Credentials the gateway's Zendesk connection must send to this harness's Zendesk API (tags,
   * notify-app, ticket comments and priority, users and their groups) on the harness origin; without
   * them every such call is 401.
   */
  zendeskApi?: { email: string; apiToken: string } | { oauthToken: string };
  /**
   * Who `zendeskApi`'s credentials sign in as (`GET /api/v2/users/me.json`, which `zendesk connect`
   * asks): default the harness user with that email, else an admin "Cheqpoint API user".
   */
  apiUser?: Pick<IHarnessUser, 'id' | 'name' | 'email' | 'role'>;
  /** The app id of the harness's app (handshake metadata; notify-app accepts only it). Default 1. */
  appId?: number;
  /**
   * Signed URLs, as the manifest's `signed: true` asks: each location is loaded by POSTing a form with a
   * token this harness signs (playing Zendesk) for the signed-in user to the page the gateway serves
   * (`appUrl`, default `<gatewayUrl>/zendesk/app/index.html`). The gateway must trust the key
   * (`zendesk verify`) and serve the app (CHEQPOINT_APP_DIR, see writeGatewayAppDir).
   */
  signedUrls?: ISignedUrls & { appUrl?: string };
  /** The Slack pane (`/slack`): the fake Slack the gateway posts to and how to sign its clicks. */
  slack?: ISlackPaneOptions;
  /** The Billing pane (`/billing`): the demo billing endpoint's requests, and how it answers. */
  billing?: IFakeBilling;
}

/** An app notification the gateway pushed through the emulated `POST /api/v2/apps/notify.json`. */
export interface IHarnessNotification {
  appId: number;
  event: string;
  body: unknown;
  at: number;
}

export interface IHarnessNote {
  ticketId: string;
  body: string;
  public: boolean;
  author: string;
}

export interface IHarness {
  /** The harness page, e.g. http://127.0.0.1:4567/ */
  url: string;
  /** Origin the app iframe is served from. */
  appOrigin: string;
  /** Internal notes the app added through the emulated Zendesk API. */
  notes: IHarnessNote[];
  /** Requests the emulated proxy forwarded (with placeholders, never the substituted secret). */
  proxied: { method: string; url: string; status: number }[];
  /** Each ticket's tags, as the gateway's Zendesk connection left them. */
  tags: Record<string, string[]>;
  /** App notifications the gateway pushed (each was delivered to the open app iframes). */
  notifications: IHarnessNotification[];
  /** Each ticket's priority, as the gateway's Zendesk connection set it (escalation). */
  priorities: Record<string, string>;
  close: () => Promise<void>;
}

const CDN_SDK =
  /<script src="https:\/\/static\.zdassets\.com\/zendesk_app_framework_sdk\/2\.0\/zaf_sdk\.min\.js"><\/script>/;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const DEFAULT_USER: IHarnessUser = {
  id: 381,
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  role: 'agent',
  locale: 'en-US',
};

/** A locale as Zendesk's `currentUser.locale` gives it (`de`, `de-DE`, `pt-BR`, `zh-hant`). */
const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,4})?$/;

/** Zendesk's ticket priorities (`ticket.priority`). */
const TICKET_PRIORITIES = new Set(['low', 'normal', 'high', 'urgent']);

/** The harness's users (with `groups` always present) and the one signed in by default. */
function harnessUsers(options: Pick<IHarnessOptions, 'users' | 'currentUser'>) {
  const given = options.users && options.users.length > 0 ? options.users : [options.currentUser ?? DEFAULT_USER];
  const fallback = options.currentUser ?? given[0] ?? DEFAULT_USER;
  const all = given.some((u) => u.id === fallback.id) ? given : [fallback, ...given];
  const users = all.map((u) => ({ ...u, groups: u.groups ?? [] }));
  return { users, defaultUser: users.find((u) => u.id === fallback.id) as Required<IHarnessUser> };
}

/**
 * What Zendesk's users API answers about the harness's users: the user (`/api/v2/users/{id}.json`) and
 * their groups (`/api/v2/users/{id}/groups.json`, one page); null for any other path.
 */
function usersApi(
  users: Required<IHarnessUser>[],
  pathname: string,
  search = '',
): { status: number; body: string } | null {
  if (pathname === '/api/v2/users/search.json') {
    // as Zendesk's user search, for the one query the gateway sends (`email:<address>`, Slack's mapping)
    const query = new URLSearchParams(search).get('query') ?? '';
    const email = /^email:(.+)$/.exec(query.trim())?.[1]?.toLowerCase() ?? null;
    const found = users
      .filter((u) => email !== null && u.email.toLowerCase() === email)
      .map(({ id, name, email, role }) => ({ id, name, email, role }));
    return { status: 200, body: JSON.stringify({ users: found, next_page: null, count: found.length }) };
  }
  const match = /^\/api\/v2\/users\/(\d+)(\/groups)?\.json$/.exec(pathname);
  if (!match) return null;
  const user = users.find((u) => String(u.id) === match[1]);
  if (!user) return { status: 404, body: JSON.stringify({ error: 'RecordNotFound', description: 'Not found' }) };
  if (match[2]) {
    const groups = user.groups.map((g) => ({ id: g.id, name: g.name }));
    return {
      status: 200,
      body: JSON.stringify({ groups, next_page: null, previous_page: null, count: groups.length }),
    };
  }
  const { id, name, email, role, locale } = user;
  return { status: 200, body: JSON.stringify({ user: { id, name, email, role, locale } }) };
}

/** The npm build of the ZAF SDK (CommonJS) wrapped into one browser script that sets window.ZAFClient. */
export function bundleZafSdk(): string {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('zendesk_app_framework_sdk/lib/index.js'));
  const files = { index: 'index.js', './client': 'client.js', './utils': 'utils.js' } as const;
  const modules = Object.entries(files)
    .map(([name, file]) => {
      const source = readFileSync(path.join(dir, file), 'utf8');
      return `${JSON.stringify(name)}: function (module, exports, require) {\n${source}\n}`;
    })
    .join(',\n');
  return `(function () {
  var modules = {${modules}};
  var cache = {};
  function load(name) {
    if (cache[name]) return cache[name].exports;
    if (!modules[name]) throw new Error('zaf sdk: ' + name + ' is not bundled');
    var module = (cache[name] = { exports: {} });
    modules[name](module, module.exports, load);
    return module.exports;
  }
  window.ZAFClient = load('index');
})();\n`;
}

function compileHostScript(): string {
  const source = readFileSync(path.join(import.meta.dirname, 'host-page.ts'), 'utf8');
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
}

function hostPage(config: unknown, hasSlack: boolean, hasBilling: boolean): string {
  const css = readFileSync(path.join(import.meta.dirname, 'host-page.css'), 'utf8');
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Cheqpoint – local Zendesk harness</title>
<style>${css}</style>
</head>
<body data-location="ticket_sidebar">
<div class="zd-rail" aria-hidden="true"><span></span><span></span><span></span><span></span></div>
<header>
  <strong>Cheqpoint harness</strong>
  <nav aria-label="Locations">
    <button id="tab-ticket" type="button">Ticket</button>
    <button id="tab-queue" type="button">Queue (nav bar)</button>
  </nav>
  <form id="ticket-form"><label>Ticket <input id="ticket-input" size="6" inputmode="numeric"></label> <button>Open</button></form>
  <button id="scheme" type="button">Dark mode</button>
  ${hasSlack ? '<a id="slack-link" href="/slack" target="cheqpoint-slack">Slack pane</a>' : ''}
  ${hasBilling ? '<a id="billing-link" href="/billing" target="cheqpoint-billing">Billing pane</a>' : ''}
  <div id="top-bar"><button id="top-bar-icon" type="button" aria-label="Cheqpoint (top bar app)" aria-expanded="false" aria-controls="top-bar-popover"></button><div id="top-bar-popover" hidden></div></div>
  <label id="user-switch">Signed in as <select id="user-select"></select></label>
  <span class="events">Send:
    <button type="button" data-event="app.activated">app.activated</button>
    <button type="button" data-event="app.deactivated">app.deactivated</button>
    <button type="button" data-event="ticket.updated">ticket.updated</button>
  </span>
</header>
<main>
  <section id="ticket-view" aria-labelledby="ticket-title">
    <div class="ticket">
      <h1 id="ticket-title">Ticket</h1>
      <p id="ticket-tags">Tags: <span id="tags">none</span></p>
      <p id="ticket-priority" hidden>Priority: <span id="priority"></span></p>
      <p class="harness-hint">This stands in for the Zendesk ticket. Internal notes the app adds through the Zendesk API appear below.</p>
      <div id="conversation"></div>
      <ul id="notes"></ul>
    </div>
    <aside id="sidebar" aria-label="Apps"></aside>
  </section>
  <section id="queue" aria-label="Nav bar app"></section>
</main>
<div id="zd-notifications" aria-label="Zendesk notifications"></div>
<div id="background-apps" hidden></div>
<details><summary>ZAF log</summary><ol id="log"></ol></details>
<script id="harness-config" type="application/json">${json}</script>
<script type="module" src="/harness/host.js"></script>
</body>
</html>`;
}

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts the harness: a "Zendesk" page that hosts the app's ticket_sidebar and nav_bar iframes and a
 * second origin that serves the built app (with the npm ZAF SDK in place of Zendesk's CDN copy).
 */
export async function startHarness(options: IHarnessOptions): Promise<IHarness> {
  const host = options.host ?? '127.0.0.1';
  const manifest = JSON.parse(readFileSync(path.join(options.distDir, 'manifest.json'), 'utf8')) as {
    version: string;
    domainWhitelist?: string[];
    parameters: { name: string; secure?: boolean; default?: unknown }[];
    location: { support: Record<string, { url: string }> };
  };
  const secureNames = new Set(manifest.parameters.filter((p) => p.secure).map((p) => p.name));
  const allSettings: Record<string, unknown> = {
    ...Object.fromEntries(manifest.parameters.filter((p) => p.default !== undefined).map((p) => [p.name, p.default])),
    ...options.settings,
  };
  const publicSettings = Object.fromEntries(Object.entries(allSettings).filter(([name]) => !secureNames.has(name)));
  const whitelist = new Set((manifest.domainWhitelist ?? []).map((h) => h.toLowerCase()));
  const notes: IHarnessNote[] = [];
  const proxied: IHarness['proxied'] = [];
  const tags: Record<string, string[]> = {};
  const notifications: IHarnessNotification[] = [];
  const priorities: Record<string, string> = {};
  const { users, defaultUser } = harnessUsers(options);
  const userById = (id: string | null) => (id === null ? defaultUser : users.find((u) => String(u.id) === id));
  const appId = options.appId ?? 1;
  /** Host pages listening for what the gateway did (`/harness/events`, server-sent events). */
  const listeners = new Set<http.ServerResponse>();
  const broadcast = (event: string, data: unknown) => {
    for (const res of listeners) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const apiEmail = options.zendeskApi && 'email' in options.zendeskApi ? options.zendeskApi.email : 'api@harness.local';
  const apiUser = options.apiUser ??
    users.find((u) => u.email === apiEmail) ?? { id: 1, name: 'Cheqpoint API user', email: apiEmail, role: 'admin' };
  const expectedAuthorization = !options.zendeskApi
    ? null
    : 'oauthToken' in options.zendeskApi
      ? `Bearer ${options.zendeskApi.oauthToken}`
      : `Basic ${Buffer.from(`${options.zendeskApi.email}/token:${options.zendeskApi.apiToken}`).toString('base64')}`;

  /**
   * Zendesk's REST API as the gateway calls it (its own credentials, from outside the browser): ticket
   * tags, app notifications (delivered to the open iframes as `api_notification.<event>`), comments and
   * priority, and who a user is (role, groups: approval authority).
   */
  async function gatewayApi(req: http.IncomingMessage, pathname: string, search: string) {
    const fail = (status: number, error: string) => ({ status, body: JSON.stringify({ error }) });
    if (!expectedAuthorization || req.headers.authorization !== expectedAuthorization) {
      return fail(401, "Couldn't authenticate you");
    }
    const method = req.method ?? 'GET';
    if (method === 'GET' && pathname === '/api/v2/users/me.json') {
      const { id, name, email, role } = apiUser;
      return { status: 200, body: JSON.stringify({ user: { id, name, email, role } }) };
    }
    if (method === 'GET') return usersApi(users, pathname, search) ?? fail(404, 'RecordNotFound');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    } catch {
      return fail(400, 'Unparseable JSON');
    }
    const tagsOf = /^\/api\/v2\/tickets\/(\d+)\/tags\.json$/.exec(pathname);
    if (tagsOf && (method === 'PUT' || method === 'DELETE')) {
      const ticketId = tagsOf[1] as string;
      const given = Array.isArray(body['tags']) ? body['tags'].map(String) : [];
      const current = new Set(tags[ticketId] ?? []);
      for (const tag of given) {
        if (method === 'PUT') current.add(tag);
        else current.delete(tag);
      }
      tags[ticketId] = [...current].sort();
      broadcast('tags', { ticketId, tags: tags[ticketId] });
      return { status: 200, body: JSON.stringify({ tags: tags[ticketId] }) };
    }
    if (pathname === '/api/v2/apps/notify.json' && method === 'POST') {
      if (body['app_id'] !== appId) return fail(404, 'RecordNotFound');
      if (typeof body['event'] !== 'string' || !body['event']) return fail(400, 'event is required');
      const notification = { appId, event: body['event'], body: body['body'], at: Date.now() };
      notifications.push(notification);
      broadcast('notification', notification);
      return { status: 200, body: '{}' };
    }
    const ticketOf = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(pathname);
    const update = (body['ticket'] ?? {}) as { comment?: { body?: unknown; public?: unknown }; priority?: unknown };
    const hasComment = typeof update.comment?.body === 'string';
    if (ticketOf && method === 'PUT' && (hasComment || update.priority !== undefined)) {
      const ticketId = ticketOf[1] as string;
      // as Zendesk: an unknown priority fails the whole update
      if (update.priority !== undefined && !TICKET_PRIORITIES.has(String(update.priority))) {
        return fail(422, 'RecordInvalid');
      }
      if (update.priority !== undefined) {
        priorities[ticketId] = String(update.priority);
        broadcast('priority', { ticketId, priority: priorities[ticketId] });
      }
      if (hasComment) {
        const comment = update.comment as { body: string; public?: unknown; author_id?: unknown };
        // as Zendesk: `author_id` makes the comment that user's (the deciding agent's reply), else the API user's
        const author = users.find((u) => u.id === Number(comment.author_id));
        notes.push({
          ticketId,
          body: comment.body,
          public: comment.public !== false,
          author: author ? `${author.name} (through the gateway)` : 'Cheqpoint gateway (API)',
        });
        broadcast('notes', { ticketId });
      }
      const ticket = { id: Number(ticketId), ...(priorities[ticketId] ? { priority: priorities[ticketId] } : {}) };
      return { status: 200, body: JSON.stringify({ ticket }) };
    }
    return fail(404, 'RecordNotFound');
  }
  const zafSdk = bundleZafSdk();
  const hostScript = compileHostScript();
  const slack = options.slack
    ? slackPane({
        ...options.slack,
        interactionsUrl:
          options.slack.interactionsUrl ?? `${options.settings.gatewayUrl.replace(/\/+$/, '')}/api/slack/interactions`,
      })
    : null;
  const billing = options.billing ? billingPane(options.billing) : null;

  /** `{{setting.name}}` → value; secure values only for hosts on the domainWhitelist (as Zendesk's proxy). */
  function substitute(text: string, isSecureAllowed: boolean): string {
    return text.replace(/\{\{\s*setting\.(\w+)\s*\}\}/g, (whole, name: string) => {
      if (secureNames.has(name) && !isSecureAllowed) return whole;
      const value = allSettings[name];
      return value === undefined ? '' : String(value);
    });
  }

  /** Zendesk's API as the app calls it through `client.request`, signed in as `user`. */
  async function zendeskApi(user: IHarnessUser, method: string, url: string, body: string) {
    const [pathname = '', search = ''] = url.split('?');
    const aboutUser = method === 'GET' ? usersApi(users, pathname) : null;
    if (aboutUser) {
      const statusText = aboutUser.status === 200 ? 'OK' : 'Not Found';
      return { status: aboutUser.status, statusText, responseText: aboutUser.body };
    }
    if (pathname === '/api/v2/tickets/show_many.json' && method === 'GET') {
      // as Zendesk: ids it does not know are left out of the answer, not an error
      const subjects = options.ticketSubjects ?? {};
      const ids = (new URLSearchParams(search).get('ids') ?? '').split(',');
      const tickets = ids
        .filter((id) => Object.hasOwn(subjects, id))
        .map((id) => ({ id: Number(id), subject: subjects[id] }));
      return { status: 200, statusText: 'OK', responseText: JSON.stringify({ tickets }) };
    }
    const match = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(url.split('?')[0] ?? '');
    if (match && method === 'PUT') {
      const comment = (JSON.parse(body || '{}') as { ticket?: { comment?: { body?: string; public?: boolean } } })
        .ticket?.comment;
      if (comment?.body)
        notes.push({
          ticketId: match[1] as string,
          body: comment.body,
          public: comment.public !== false,
          author: user.name,
        });
      return { status: 200, statusText: 'OK', responseText: JSON.stringify({ ticket: { id: Number(match[1]) } }) };
    }
    if (match && method === 'GET') {
      return { status: 200, statusText: 'OK', responseText: JSON.stringify({ ticket: { id: Number(match[1]) } }) };
    }
    return { status: 404, statusText: 'Not Found', responseText: JSON.stringify({ error: 'RecordNotFound' }) };
  }

  /** Plays Zendesk's request proxy (cors: false): the request leaves from this server, not the browser. */
  async function proxy(user: IHarnessUser, options: Record<string, unknown>) {
    const method = String(options['type'] ?? 'GET').toUpperCase();
    const rawUrl = String(options['url'] ?? '');
    const data =
      typeof options['data'] === 'string'
        ? options['data']
        : options['data'] === undefined
          ? ''
          : JSON.stringify(options['data']);
    if (rawUrl.startsWith('/')) {
      const reply = await zendeskApi(user, method, rawUrl, data);
      proxied.push({ method, url: rawUrl, status: reply.status });
      return reply;
    }
    const url = new URL(substitute(rawUrl, false));
    const isSecureAllowed = options['secure'] === true && whitelist.has(url.hostname.toLowerCase());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((options['headers'] ?? {}) as Record<string, string>)) {
      headers[name] = substitute(String(value), isSecureAllowed);
    }
    if (options['contentType'] && data) headers['content-type'] = String(options['contentType']);
    try {
      const response = await fetch(url, {
        method,
        headers,
        ...(data && method !== 'GET' ? { body: substitute(data, isSecureAllowed) } : {}),
        signal: AbortSignal.timeout(Number(options['timeout'] ?? 30_000)),
      });
      const responseText = await response.text();
      proxied.push({ method, url: rawUrl, status: response.status });
      return { status: response.status, statusText: response.statusText, responseText };
    } catch (err) {
      proxied.push({ method, url: rawUrl, status: 502 });
      return { status: 502, statusText: 'Bad Gateway', responseText: JSON.stringify({ error: String(err) }) };
    }
  }

  const appServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/zaf_sdk.js') return send(res, 200, zafSdk, CONTENT_TYPES['.js']);
    const file = path.normalize(path.join(options.distDir, decodeURIComponent(url.pathname)));
    if (!file.startsWith(path.join(options.distDir, 'assets') + path.sep))
      return send(res, 404, 'Not found', 'text/plain');
    try {
      let body: string | Buffer = readFileSync(file);
      if (file.endsWith('.html')) body = body.toString('utf8').replace(CDN_SDK, '<script src="/zaf_sdk.js"></script>');
      send(res, 200, body, CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream');
    } catch {
      send(res, 404, 'Not found', 'text/plain');
    }
  });
  const appPort = await listen(appServer, options.appPort ?? 0, host);
  const appOrigin = `http://${host}:${appPort}`;

  const ticketIds = new Set([
    ...Object.keys(options.ticketSubjects ?? {}),
    ...Object.keys(options.ticketMessages ?? {}),
  ]);
  const tickets = Object.fromEntries(
    [...ticketIds].map((id) => [id, { subject: options.ticketSubjects?.[id], ...options.ticketMessages?.[id] }]),
  );
  const signedAppUrl = options.signedUrls
    ? (options.signedUrls.appUrl ?? `${options.settings.gatewayUrl.replace(/\/+$/, '')}/zendesk/app/index.html`)
    : null;
  /** The page's configuration when signed in as `user` (ZAF's `currentUser` has role and groups, as Zendesk's). */
  const pageConfig = (user: Required<IHarnessUser>) => ({
    appOrigin,
    ...(signedAppUrl ? { signedApp: { url: signedAppUrl, origin: new URL(signedAppUrl).origin } } : {}),
    installationId: options.signedUrls ? Number(options.signedUrls.installationId) : 0,
    appId,
    appVersion: manifest.version,
    // each location's page, as the manifest names it (the alert locations have their own entries)
    locationUrls: Object.fromEntries(Object.entries(manifest.location.support).map(([name, l]) => [name, l.url])),
    settings: publicSettings,
    currentUser: user,
    users: users.map((u) => ({ id: u.id, name: u.name })),
    tickets,
  });
  const unknownUser = (res: http.ServerResponse, id: string | null) =>
    send(res, 400, `No harness user ${id} (users: ${users.map((u) => u.id).join(', ')})`, 'text/plain');
  const hostServer = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://harness');
      const user = userById(url.searchParams.get('user'));
      if (url.pathname === '/' && req.method === 'GET') {
        if (!user) return unknownUser(res, url.searchParams.get('user'));
        // ?locale=de: the signed-in user reads another language (ZAF's currentUser.locale), as set in Zendesk
        const locale = url.searchParams.get('locale');
        if (locale !== null && !LOCALE.test(locale)) {
          return send(res, 400, `?locale=${locale} is not a locale such as de, de-DE or en-US`, 'text/plain');
        }
        return send(
          res,
          200,
          hostPage(pageConfig(locale ? { ...user, locale } : user), slack !== null, billing !== null),
          CONTENT_TYPES['.html'],
        );
      }
      if (slack && url.pathname.startsWith('/slack') && (await slack.handle(req, res, url.pathname))) return;
      if (billing && url.pathname.startsWith('/billing') && (await billing.handle(req, res, url.pathname))) return;
      if (url.pathname === '/harness/host.js') return send(res, 200, hostScript, CONTENT_TYPES['.js']);
      if (url.pathname === '/harness/icon_top_bar.svg') {
        // the top bar icon the harness draws, as Zendesk draws it from the package (symbols: iconSymbol)
        return send(
          res,
          200,
          readFileSync(path.join(options.distDir, 'assets/icon_top_bar.svg')),
          CONTENT_TYPES['.svg'],
        );
      }
      if (url.pathname.startsWith('/api/v2/')) {
        const reply = await gatewayApi(req, url.pathname, url.search);
        return send(res, reply.status, reply.body);
      }
      if (url.pathname === '/harness/tags') {
        return send(res, 200, JSON.stringify(tags[url.searchParams.get('ticket') ?? ''] ?? []));
      }
      if (url.pathname === '/harness/priority') {
        return send(res, 200, JSON.stringify(priorities[url.searchParams.get('ticket') ?? ''] ?? null));
      }
      if (url.pathname === '/harness/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        listeners.add(res);
        req.on('close', () => listeners.delete(res));
        return;
      }
      if (url.pathname === '/harness/notes') {
        const ticket = url.searchParams.get('ticket');
        return send(res, 200, JSON.stringify(notes.filter((n) => n.ticketId === ticket)));
      }
      if (url.pathname === '/harness/signed-token' && req.method === 'POST' && options.signedUrls) {
        // what Zendesk does before it loads a signed location: a fresh token for the signed-in user
        if (!user) return unknownUser(res, url.searchParams.get('user'));
        const token = signedUrlToken(options.signedUrls, user, url.searchParams.get('location') ?? 'ticket_sidebar');
        return send(res, 200, JSON.stringify({ token }));
      }
      if (url.pathname === '/harness/proxy' && req.method === 'POST') {
        if (!user) return unknownUser(res, url.searchParams.get('user'));
        const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
        return send(res, 200, JSON.stringify(await proxy(user, body)));
      }
      send(res, 404, 'Not found', 'text/plain');
    })().catch((err: unknown) => send(res, 500, JSON.stringify({ error: String(err) })));
  });
  const hostPort = await listen(hostServer, options.port ?? 0, host);

  return {
    url: `http://${host}:${hostPort}/`,
    appOrigin,
    notes,
    proxied,
    tags,
    notifications,
    priorities,
    close: async () => {
      for (const server of [hostServer, appServer]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

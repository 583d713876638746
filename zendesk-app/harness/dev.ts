/**
 * `npm run dev`: the Zendesk app against a real local gateway, without a Zendesk account.
 * Starts the gateway if nothing answers at the gateway URL, creates (once) a demo account, seeds demo
 * approvals, builds the app and serves the harness with its fake Slack and billing endpoint. Ctrl-C (or SIGTERM), at any point, stops everything
 * it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { APP_ROOT, appViteConfig } from '../build/app-vite-config.js';
import {
  DEMO_AUTHORITY_REQUESTS,
  DEMO_POLICY,
  DEMO_REQUESTS,
  DEMO_TICKET_ID,
  DEMO_TICKET_MESSAGES,
  DEMO_TICKET_SUBJECTS,
  DEMO_USERS,
} from './demo-data.js';
import { seedDemo } from './demo-seed.js';
import { allowlistEntry, DEMO_BILLING_SECRET, demoActions, startDevBilling, type DevBilling } from './dev-billing.js';
import { slackConnectCommand, startDevSlack, type DevSlack } from './dev-slack.js';
import { writeGatewayAppDir } from './gateway-app.js';
import { startHarness, type IHarness } from './harness.server.js';
import { createSignedUrls, signedUrlToken, type ISignedUrls } from './signed-urls.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
/** NODE_ENV as given: Vite's build sets it to production in this process, which the CLI children must not inherit. */
const GIVEN_NODE_ENV = process.env['NODE_ENV'] ?? 'development';
const children = new Set<ChildProcess>();
let harness: IHarness | null = null;
let slack: DevSlack | null = null;
let billing: DevBilling | null = null;
let isStopping = false;

/** Stops everything this run started (the harness, the gateway, a CLI command under way), then exits. */
async function stop(code: number) {
  if (isStopping) return;
  isStopping = true;
  await harness?.close().catch(() => {});
  await slack?.fake.stop().catch(() => {});
  await billing?.fake.stop().catch(() => {});
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          // the gateway's own graceful stop ends within its grace (10 s by default) plus 5 s
          setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
        }),
    ),
  );
  process.exit(code);
}
// From the first line: a signal during start-up (building, starting the gateway) stops what has started.
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** A child process of this run: stopped with it (at once if the run is already stopping). */
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (isStopping) child.kill('SIGTERM');
  return child;
}

const REPO_ROOT = path.resolve(APP_ROOT, '..');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The gateway the harness uses: CHEQPOINT_GATEWAY_URL, else http://127.0.0.1:<PORT> (3000 without PORT),
 * and the port a gateway started here listens on. Both set to different local ports could never meet
 * (the gateway listens on PORT, the harness waits at the URL): refused at once, with the fix.
 */
function gatewayTarget(env: NodeJS.ProcessEnv): { url: string; startPort: number | null } {
  const rawPort = env['PORT'];
  if (rawPort !== undefined && !/^\d{1,5}$/.test(rawPort)) throw new Error(`PORT=${rawPort} is not a port number`);
  const rawUrl = env['CHEQPOINT_GATEWAY_URL'];
  if (!rawUrl) {
    const port = Number(rawPort ?? 3000);
    return { url: `http://127.0.0.1:${port}`, startPort: port };
  }
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new Error(`CHEQPOINT_GATEWAY_URL=${rawUrl} is not a URL (e.g. http://127.0.0.1:3000)`);
  }
  const urlPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const isLocal = LOOPBACK.has(url.hostname) && url.protocol === 'http:';
  if (isLocal && rawPort !== undefined && Number(rawPort) !== urlPort) {
    throw new Error(
      [
        `CHEQPOINT_GATEWAY_URL (${url.origin}) is on port ${urlPort} but PORT is ${rawPort}: the gateway npm run dev`,
        'starts listens on PORT, so the harness would never reach it.',
        `Fix: leave CHEQPOINT_GATEWAY_URL unset (it follows PORT: http://127.0.0.1:${rawPort}), or give both the same port.`,
      ].join('\n'),
    );
  }
  return { url: url.origin, startPort: isLocal ? urlPort : null };
}

const { url: GATEWAY_URL, startPort: GATEWAY_PORT } = (() => {
  try {
    return gatewayTarget(process.env);
  } catch (err) {
    process.stderr.write(`npm run dev: ${(err as Error).message}\n`);
    process.exit(78);
  }
})();
const HARNESS_PORT = Number(process.env['CHEQPOINT_HARNESS_PORT'] ?? 4567);
/** The app's own origin (the iframes' src), as Zendesk serves an app from a host of its own. */
const HARNESS_APP_PORT = Number(process.env['CHEQPOINT_HARNESS_APP_PORT'] ?? 4568);
/** The demo billing endpoint: a fixed port, so a gateway's CHEQPOINT_CALLBACK_ALLOWLIST can name it. */
const HARNESS_BILLING_PORT = Number(process.env['CHEQPOINT_HARNESS_BILLING_PORT'] ?? 4569);
/** Where a run keeps its keys, build and files (git-ignored tmp/ by default; tests give their own). */
const DEV_DIR = path.resolve(process.env['CHEQPOINT_DEV_DIR'] ?? path.join(REPO_ROOT, 'tmp'));
const KEYS_FILE = path.join(DEV_DIR, 'dev-harness.json');
const DEV_DIST = path.join(DEV_DIR, 'zendesk-app-dev');
/** The app as the gateway serves it for signed URLs (CHEQPOINT_APP_DIR of the gateway dev starts). */
const GATEWAY_APP_DIR = path.join(DEV_DIR, 'zendesk-app-dev-gateway');
/** The harness user by default (`?user=` signs in as another demo user), who decided the demo history. */
const DEV_USER = DEMO_USERS[0] as (typeof DEMO_USERS)[number];

/**
 * The key the demo secret is encrypted with (CHEQPOINT_SECRETS_KEY, else one made once and kept in the
 * dev folder): the gateway refuses to start with stored secrets and no key, so every run uses the same.
 */
function devSecretsKey(): string {
  const given = process.env['CHEQPOINT_SECRETS_KEY'];
  if (given) return given;
  const file = path.join(DEV_DIR, 'dev-secrets-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  mkdirSync(DEV_DIR, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
const SECRETS_KEY = devSecretsKey();

/** The gateway's allowlist with the demo billing endpoint added (a loopback address callbacks would refuse). */
function allowlistWithBilling(): string {
  const given = process.env['CHEQPOINT_CALLBACK_ALLOWLIST'] ?? '';
  return [given, billing ? allowlistEntry(billing) : ''].filter(Boolean).join(',');
}

async function isUp(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

async function ensureGateway() {
  if (await isUp(GATEWAY_URL)) return say(`Using the gateway at ${GATEWAY_URL}`);
  if (GATEWAY_PORT === null) {
    throw new Error(
      `Nothing answers at ${GATEWAY_URL}, and npm run dev starts a gateway only on this machine (http://127.0.0.1:<port>): start that gateway, or leave CHEQPOINT_GATEWAY_URL unset`,
    );
  }
  say(
    `Starting the gateway on ${GATEWAY_URL} (tsx server/src/main.ts, PORT=${GATEWAY_PORT}; the first start builds FerretDB, about a minute)…`,
  );
  // [1] node itself (with tsx's loader) is the gateway process, so SIGTERM reaches its graceful shutdown
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        PORT: String(GATEWAY_PORT),
        CHEQPOINT_SECRETS_KEY: SECRETS_KEY,
        CHEQPOINT_CALLBACK_ALLOWLIST: allowlistWithBilling(),
        CHEQPOINT_APP_DIR: process.env['CHEQPOINT_APP_DIR'] ?? GATEWAY_APP_DIR,
      },
    }),
  );
  const started = Date.now();
  let saidAt = started;
  while (Date.now() - started < 10 * 60_000) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The gateway exited with ${child.exitCode ?? child.signalCode} (its log is above)`);
    }
    if (await isUp(GATEWAY_URL)) return;
    if (Date.now() - saidAt >= 30_000) {
      saidAt = Date.now();
      say(`Still waiting for the gateway at ${GATEWAY_URL} (${Math.round((saidAt - started) / 1000)} s)…`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`The gateway did not answer at ${GATEWAY_URL} within 10 minutes`);
}

/**
 * Runs the project's CLI and returns what it printed (the gateway's database settings come from this
 * process's environment; `env` adds to it, e.g. a token the CLI reads from a variable, never argv).
 */
async function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<string> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'server/src/cli/cheqpoint.ts', ...args], {
      cwd: REPO_ROOT,
      // `input` goes to stdin (a secret value), never argv
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'],
      // the gateway's settings: the secrets key and the allowlist (action set checks the endpoint's address)
      env: {
        ...process.env,
        NODE_ENV: GIVEN_NODE_ENV,
        CHEQPOINT_SECRETS_KEY: SECRETS_KEY,
        CHEQPOINT_CALLBACK_ALLOWLIST: allowlistWithBilling(),
        ...env,
      },
    }),
  );
  child.stdin?.end(input);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`cheqpoint ${args.slice(0, 2).join(' ')} exited with ${code}`);
  return out;
}

type Keys = { accountId: string; flowKey: string; agentKey: string };

async function isKeyValid(agentKey: string): Promise<boolean> {
  const res = await fetch(`${GATEWAY_URL}/api/agent/approvals?limit=1`, { headers: { 'x-api-key': agentKey } });
  return res.ok;
}

async function demoKeys(): Promise<Keys> {
  if (existsSync(KEYS_FILE)) {
    const saved = JSON.parse(readFileSync(KEYS_FILE, 'utf8')) as Keys;
    if (await isKeyValid(saved.agentKey)) return saved;
  }
  const output = await cli(['account', 'create', 'demo', '--json']);
  const keys = JSON.parse(output) as Keys;
  mkdirSync(path.dirname(KEYS_FILE), { recursive: true });
  writeFileSync(KEYS_FILE, JSON.stringify(keys, null, 2), { mode: 0o600 });
  say(`Created the demo account ${keys.accountId} (keys kept in ${path.relative(REPO_ROOT, KEYS_FILE)})`);
  return keys;
}

/** The harness's app id, which the gateway's notify-app calls target. */
const HARNESS_APP_ID = 1;

/**
 * Connects the demo account to the harness's emulated Zendesk API, so the gateway tags tickets and
 * pushes app notifications to the open sidebar, as it would with a real Zendesk. The token is made
 * up for this run and given to the CLI through an environment variable, never argv.
 */
async function connectZendesk(keys: Keys, harnessUrl: string, api: { email: string; apiToken: string }) {
  await cli(
    [
      'zendesk',
      'connect',
      keys.accountId,
      '--subdomain',
      'harness',
      '--url',
      new URL(harnessUrl).origin,
      '--email',
      api.email,
      '--api-token-env',
      'CHEQPOINT_HARNESS_ZENDESK_TOKEN',
      '--app-id',
      String(HARNESS_APP_ID),
      '--json',
    ],
    { CHEQPOINT_HARNESS_ZENDESK_TOKEN: api.apiToken },
  );
  say('Connected the demo account to the harness’s Zendesk API (ticket tags, app notifications)');
}

/** CHEQPOINT_DEV_UNVERIFIED=1 after a verified run: the demo account stops requiring verified agents. */
async function unverifyApprovers(keys: Keys) {
  const trusted = JSON.parse(await cli(['zendesk', 'verify', keys.accountId, '--show', '--json'])) as unknown[];
  if (trusted.length === 0) return;
  await cli(['zendesk', 'verify', keys.accountId, '--off']);
  say('The demo account accepts unverified decisions again (CHEQPOINT_DEV_UNVERIFIED=1: no signed URLs)');
}

/**
 * Verified approvers: the harness plays Zendesk's signer with a key pair made for this run, and the
 * demo account trusts its public key (`zendesk verify`, as an admin would with the app's
 * public_key.pem), so decisions in the harness are attributed to the Zendesk-verified user.
 */
async function verifyApprovers(keys: Keys, signed: ISignedUrls) {
  const keyFile = path.join(DEV_DIR, 'dev-app-public-key.pem');
  writeFileSync(keyFile, signed.publicKeyPem);
  await cli([
    'zendesk',
    'verify',
    keys.accountId,
    '--public-key-file',
    keyFile,
    '--installation-id',
    signed.installationId,
    '--subdomain',
    signed.subdomain,
    '--json',
  ]);
  say('The demo account verifies approvers: the harness signs each app load as Zendesk would (signed URLs)');
}

/** A session of one demo user, as the app page gets it (the demo history is decided with Ada's). */
async function devSession(signed: ISignedUrls, user: (typeof DEMO_USERS)[number]): Promise<string | undefined> {
  const res = await fetch(`${GATEWAY_URL}/zendesk/app/index.html`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: signedUrlToken(signed, user) }).toString(),
  });
  return /<meta name="cheqpoint-session" content="([^"]+)">/.exec(await res.text())?.[1];
}

/** Each demo user's session by user id, for deciding through the API as them (README). */
async function devSessions(signed: ISignedUrls): Promise<Record<string, string>> {
  const sessions: Record<string, string> = {};
  for (const user of DEMO_USERS) {
    const session = await devSession(signed, user);
    if (session) sessions[String(user.id)] = session;
  }
  return sessions;
}

/**
 * The demo policy (approval authority), set on each run through the CLI as an admin would, so a
 * changed DEMO_POLICY applies without a fresh account. The file is removed once the CLI has read it.
 */
async function setDemoPolicy(keys: Keys) {
  const file = path.join(DEV_DIR, 'dev-policy.json');
  writeFileSync(file, JSON.stringify(DEMO_POLICY, null, 2));
  try {
    await cli(['policy', 'set', '--account', keys.accountId, '--file', file, '--json']);
  } finally {
    rmSync(file, { force: true });
  }
  say('Set the demo policy: refunds above €200 need a team lead (Grace), account deletions an admin (Margaret)');
}

/**
 * Connects the demo account to the fake Slack through the CLI, as an admin connects a workspace (the
 * token and secret in that child's environment only). A gateway elsewhere could not reach it.
 */
async function connectSlack(keys: Keys, devSlack: DevSlack): Promise<boolean> {
  const { args, env } = slackConnectCommand(keys.accountId, devSlack);
  try {
    await cli(args, env);
    say(`Connected the demo account to the harness's Slack (#${devSlack.pane.channelName}, a fake Slack Web API)`);
    return true;
  } catch (err) {
    say(`The Slack pane stays empty: ${(err as Error).message}`);
    return false;
  }
}

/**
 * The demo account's actions, set on each run through the CLI as an admin would: the billing token in
 * `secret set` (stdin), then `action set --file` (the file is removed once read). A gateway started
 * elsewhere must allow the endpoint (CHEQPOINT_CALLBACK_ALLOWLIST) and hold the same secrets key.
 */
async function setDemoActions(keys: Keys, devBilling: DevBilling): Promise<boolean> {
  const file = path.join(DEV_DIR, 'dev-actions.json');
  try {
    await cli(['secret', 'set', keys.accountId, DEMO_BILLING_SECRET], {}, devBilling.token);
    writeFileSync(file, JSON.stringify(demoActions(devBilling.fake.url), null, 2));
    await cli(['action', 'set', keys.accountId, '--file', file, '--json']);
    say(
      `Set the demo actions: an approved late cancellation goes to the harness's billing endpoint (${devBilling.fake.url})`,
    );
    return true;
  } catch (err) {
    say(`The Billing pane stays empty: ${(err as Error).message}`);
    return false;
  } finally {
    rmSync(file, { force: true });
  }
}

async function main() {
  // before the gateway starts: the gateway dev starts allows the endpoint's port (CHEQPOINT_CALLBACK_ALLOWLIST)
  billing = LOOPBACK.has(new URL(GATEWAY_URL).hostname) ? await startDevBilling(HARNESS_BILLING_PORT) : null;
  await ensureGateway();
  const keys = await demoKeys();
  const isLocalGateway = LOOPBACK.has(new URL(GATEWAY_URL).hostname);
  slack = isLocalGateway
    ? await startDevSlack(GATEWAY_URL, Number(process.env['CHEQPOINT_HARNESS_SLACK_PORT'] ?? 0))
    : null;
  const gatewayHost = new URL(GATEWAY_URL).hostname;
  await build(appViteConfig({ distDir: DEV_DIST, gatewayHost }));
  rmSync(GATEWAY_APP_DIR, { recursive: true, force: true });
  writeGatewayAppDir(DEV_DIST, GATEWAY_APP_DIR);
  // CHEQPOINT_DEV_UNVERIFIED=1: the app as packaged by default (no signed URLs), decisions unverified
  const isUnverified = process.env['CHEQPOINT_DEV_UNVERIFIED'] === '1';
  const servesApp =
    !isUnverified && (await fetch(`${GATEWAY_URL}/zendesk/app/index.html`).catch(() => null))?.ok === true;
  // one installation id per demo account: an installation belongs to one account only, and a data folder
  // may hold several demo accounts (keys file removed, another checkout)
  const installationId = String(
    360_000_000 + (parseInt(createHash('sha256').update(keys.accountId).digest('hex').slice(0, 8), 16) % 600_000_000),
  );
  const signed = servesApp ? createSignedUrls({ subdomain: 'harness', installationId }) : null;
  if (signed) await verifyApprovers(keys, signed);
  else if (isUnverified) await unverifyApprovers(keys);
  else if (!isUnverified) {
    say(`The gateway at ${GATEWAY_URL} serves no app page (CHEQPOINT_APP_DIR): approvers stay unverified`);
  }
  const zendeskApi = { email: 'cheqpoint@harness.local', apiToken: randomBytes(16).toString('hex') };
  const served = await startHarness({
    distDir: DEV_DIST,
    port: HARNESS_PORT,
    appPort: HARNESS_APP_PORT,
    settings: { gatewayUrl: GATEWAY_URL, agentKey: keys.agentKey, addTicketNote: true },
    ticketSubjects: DEMO_TICKET_SUBJECTS,
    ticketMessages: DEMO_TICKET_MESSAGES,
    zendeskApi,
    appId: HARNESS_APP_ID,
    users: DEMO_USERS,
    currentUser: DEV_USER,
    ...(signed ? { signedUrls: signed } : {}),
    ...(slack ? { slack: slack.pane } : {}),
    ...(billing ? { billing: billing.fake } : {}),
  });
  harness = served;
  // A gateway elsewhere could not reach the harness on this machine's loopback address.
  if (LOOPBACK.has(gatewayHost)) await connectZendesk(keys, served.url, zendeskApi);
  const hasSlack = slack ? await connectSlack(keys, slack) : false;
  await setDemoPolicy(keys);
  // before the seed: an approval's plan (what the card says will happen) is fixed at intake
  const hasBilling = billing ? await setDemoActions(keys, billing) : false;
  const sessions = signed ? await devSessions(signed) : {};
  const session = sessions[String(DEV_USER.id)];
  await seedDemo(GATEWAY_URL, keys, { session, requests: [...DEMO_REQUESTS, ...DEMO_AUTHORITY_REQUESTS] });
  // each demo user's session, for deciding through the API as that verified user (README); git-ignored
  writeFileSync(
    KEYS_FILE,
    JSON.stringify({ ...keys, agentSession: session ?? null, agentSessions: sessions }, null, 2),
    { mode: 0o600 },
  );
  say('');
  say(`Cheqpoint harness: ${served.url}?ticket=${DEMO_TICKET_ID}`);
  say(`  queue (nav bar):  ${served.url}?location=nav_bar`);
  say(`  dark mode:        ${served.url}?ticket=${DEMO_TICKET_ID}&colorScheme=dark`);
  say(`  as in Zendesk:    ${served.url}?ticket=${DEMO_TICKET_ID}&frame=zendesk (no harness controls)`);
  say(`  in German:        ${served.url}?ticket=${DEMO_TICKET_ID}&locale=de`);
  say(`  (the app itself loads from ${served.appOrigin}: CHEQPOINT_HARNESS_APP_PORT)`);
  if (hasSlack) {
    say(`Slack pane:         ${served.url}slack (messages the gateway posts; "Clicking as" picks who clicks)`);
  }
  if (hasBilling) {
    say(`Billing pane:       ${served.url}billing (requests the gateway sends to carry out approved cancellations)`);
  }
  say('Signed in as Ada; switch with "Signed in as" in the harness header, or open the ticket as:');
  const who = DEMO_USERS.map((u) => `${u.name} (${u.role}; ${u.groups.map((g) => g.name).join(', ')}):`);
  const width = Math.max(...who.map((w) => w.length));
  DEMO_USERS.forEach((user, i) =>
    say(`  ${who[i]?.padEnd(width)} ${served.url}?ticket=${DEMO_TICKET_ID}&user=${user.id}`),
  );
  say(
    signed
      ? 'The €500 refund needs a team lead (Grace); after 4 hours admins (Margaret) may decide it too.'
      : 'Nobody can decide the €500 refund here: its approval authority needs verified approvers (signed URLs).',
  );
  say('Re-run npm run dev after changing the app (it rebuilds). Ctrl-C to stop.');
}

/** The variable that moves each port of the run (the harness page's is the default). */
const PORT_VARIABLES = new Map([
  [HARNESS_APP_PORT, 'CHEQPOINT_HARNESS_APP_PORT'],
  [HARNESS_BILLING_PORT, 'CHEQPOINT_HARNESS_BILLING_PORT'],
]);

/** What went wrong, in words that say what to change (a busy harness port names its variable). */
function failureOf(err: unknown): string {
  const { code, port } = err as { code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    const name = PORT_VARIABLES.get(port ?? 0) ?? 'CHEQPOINT_HARNESS_PORT';
    return `port ${port} is in use: set ${name} to a free port`;
  }
  return err instanceof Error ? err.message : String(err);
}

main().catch((err: unknown) => {
  if (isStopping) return;
  process.stderr.write(`npm run dev failed: ${failureOf(err)}\n`);
  void stop(1);
});

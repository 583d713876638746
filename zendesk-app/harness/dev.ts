/**
 * `npm run dev`: the Zendesk app against a real local gateway, without a Zendesk account.
 * Starts the gateway if nothing answers on :3000, creates (once) a demo account, seeds demo approvals,
 * builds the app and serves the harness. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { APP_ROOT, appViteConfig } from '../build/app-vite-config.js';
import { DEMO_TICKET_ID, DEMO_TICKET_MESSAGES, DEMO_TICKET_SUBJECTS } from './demo-data.js';
import { seedDemo } from './demo-seed.js';
import { startHarness } from './harness.server.js';

const REPO_ROOT = path.resolve(APP_ROOT, '..');
const GATEWAY_URL = (process.env['CHEQPOINT_GATEWAY_URL'] ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const HARNESS_PORT = Number(process.env['CHEQPOINT_HARNESS_PORT'] ?? 4567);
const KEYS_FILE = path.join(REPO_ROOT, 'tmp', 'dev-harness.json');
const DEV_DIST = path.join(REPO_ROOT, 'tmp', 'zendesk-app-dev');

const say = (line: string) => process.stdout.write(`${line}\n`);
const children: ChildProcess[] = [];

async function isUp(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

async function ensureGateway() {
  if (await isUp(GATEWAY_URL)) return say(`Using the gateway at ${GATEWAY_URL}`);
  say('Starting the gateway (tsx server/src/main.ts; the first start builds FerretDB, about a minute)…');
  // [1] node itself (with tsx's loader) is the gateway process, so SIGTERM reaches its graceful shutdown
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The gateway exited with code ${child.exitCode}`);
    if (await isUp(GATEWAY_URL)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('The gateway did not start within 10 minutes');
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
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'server/src/cli/cheqpoint.ts', 'account', 'create', 'demo', '--json'],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`account create exited with ${code}`))));
  });
  const keys = JSON.parse(output) as Keys;
  mkdirSync(path.dirname(KEYS_FILE), { recursive: true });
  writeFileSync(KEYS_FILE, JSON.stringify(keys, null, 2), { mode: 0o600 });
  say(`Created the demo account ${keys.accountId} (keys kept in tmp/dev-harness.json, git-ignored)`);
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
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'server/src/cli/cheqpoint.ts',
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
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CHEQPOINT_HARNESS_ZENDESK_TOKEN: api.apiToken },
    },
  );
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`zendesk connect exited with ${code}`);
  say('Connected the demo account to the harness’s Zendesk API (ticket tags, app notifications)');
}

async function main() {
  await ensureGateway();
  const keys = await demoKeys();
  const gatewayHost = new URL(GATEWAY_URL).hostname;
  await build(appViteConfig({ distDir: DEV_DIST, gatewayHost }));
  const zendeskApi = { email: 'cheqpoint@harness.local', apiToken: randomBytes(16).toString('hex') };
  const harness = await startHarness({
    distDir: DEV_DIST,
    port: HARNESS_PORT,
    settings: { gatewayUrl: GATEWAY_URL, agentKey: keys.agentKey, addTicketNote: true },
    ticketSubjects: DEMO_TICKET_SUBJECTS,
    ticketMessages: DEMO_TICKET_MESSAGES,
    zendeskApi,
    appId: HARNESS_APP_ID,
  });
  // A gateway elsewhere could not reach the harness on this machine's loopback address.
  if (['127.0.0.1', 'localhost', '[::1]'].includes(gatewayHost)) await connectZendesk(keys, harness.url, zendeskApi);
  await seedDemo(GATEWAY_URL, keys);
  say('');
  say(`Cheqpoint harness: ${harness.url}?ticket=${DEMO_TICKET_ID}`);
  say(`  queue (nav bar):  ${harness.url}?location=nav_bar`);
  say(`  dark mode:        ${harness.url}?ticket=${DEMO_TICKET_ID}&colorScheme=dark`);
  say(`  as in Zendesk:    ${harness.url}?ticket=${DEMO_TICKET_ID}&frame=zendesk (no harness controls)`);
  say('Re-run npm run dev after changing the app (it rebuilds). Ctrl-C to stop.');
  const stop = async () => {
    await harness.close();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`npm run dev failed: ${err instanceof Error ? err.message : String(err)}\n`);
  for (const child of children) child.kill('SIGTERM');
  process.exit(1);
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../server/src/config.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { runCli } from '../support/cli.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';

const run = promisify(execFile);
const dbName = uniqueDbName('cli');
let gw: TestGateway;

/** Runs the account CLI exactly as `npm run cheqpoint -- …` does. */
const cli = (...args: string[]) => runCli(dbName, args);

beforeAll(async () => {
  gw = await startTestGateway({ conn: await connectDatabase(`${inject('mongodbUri')}${dbName}`) });
});
afterAll(async () => gw?.close());

describe('The account CLI', () => {
  it('When an account is created with --json, then it prints keys that work once, and list shows no secrets', async () => {
    const created = await cli('account', 'create', 'acme', '--json');
    expect(created.code).toBe(0);
    const keys = JSON.parse(created.stdout);
    expect(Object.keys(keys).sort()).toEqual(['accountId', 'agentKey', 'flowKey', 'signingSecret']);
    expect(keys.flowKey).toMatch(/^cqp_flow_/);
    expect(keys.agentKey).toMatch(/^cqp_agent_/);
    expect(keys.signingSecret).toMatch(/^whsec_/);
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest(),
    });
    expect(res.status).toBe(202);

    const list = await cli('account', 'list', '--json');
    const accounts = JSON.parse(list.stdout);
    expect(accounts).toEqual([expect.objectContaining({ accountId: keys.accountId, name: 'acme' })]);
    expect(list.stdout).not.toContain(keys.flowKey);
    expect(list.stdout).not.toContain(keys.signingSecret);
    expect(accounts[0].keys.map((k: { scope: string }) => k.scope).sort()).toEqual(['agent', 'flow']);
  });

  it('When a key is created and then revoked, then it works until revoked and fails on the next request', async () => {
    const { accountId } = JSON.parse((await cli('account', 'create', 'beta', '--json')).stdout);
    const made = JSON.parse((await cli('key', 'create', '--account', accountId, '--scope', 'flow', '--json')).stdout);
    expect(made.key).toMatch(/^cqp_flow_/);
    const send = () => call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: made.key, body: uniqueRequest() });
    expect((await send()).status).toBe(202);
    const revoked = await cli('key', 'revoke', made.keyId);
    expect(revoked.code).toBe(0);
    expect((await send()).status).toBe(401);
  });

  it('When the command or its arguments are wrong, then it exits non-zero with usage', async () => {
    const bad = await cli('key', 'create', '--account', 'acc_nope', '--scope', 'root');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--scope flow or --scope agent/);
    const unknown = await cli('account', 'create', 'x', '--bogus');
    expect(unknown.code).toBe(64);
    expect((await cli('key', 'revoke', 'key_missing')).code).toBe(64);
  });
});

describe('account create --env', () => {
  it('When the README runs eval "$(npm run -s cheqpoint -- account create … --env)", then the shell gets the account id, both keys and the signing secret, which work; only stdout carries them', async () => {
    const printed = await cli('account', 'create', "Acme's `shop` $(x)", '--env');
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^(#( .*)?|export [A-Z_]+='[^'\n]*')$/);
    expect(lines.filter((l) => l.startsWith('export ')).map((l) => l.slice(7, l.indexOf('=')))).toEqual([
      'ACCOUNT_ID',
      'FLOW_KEY',
      'AGENT_KEY',
      'SIGNING_SECRET',
    ]);
    expect(printed.stdout).not.toContain('Acme');
    // What the user sees while eval swallows stdout: which variables were set, never their values.
    expect(printed.stderr).toMatch(/ACCOUNT_ID, FLOW_KEY, AGENT_KEY and SIGNING_SECRET/);
    expect(printed.stderr).not.toMatch(/cqp_|whsec_/);

    // Exactly as the walk-through writes it, through npm and a shell.
    const { stdout } = await run(
      'bash',
      [
        '-c',
        'eval "$(npm run -s cheqpoint -- account create "Acme" --env)" && printf "%s\\n" "$ACCOUNT_ID" "$FLOW_KEY" "$AGENT_KEY" "$SIGNING_SECRET"',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, MONGODB_URI: `${inject('mongodbUri')}${dbName}` } },
    );
    const [accountId, flowKey, agentKey, signingSecret] = stdout.trim().split('\n');
    expect(accountId).toMatch(/^acc_/);
    expect(agentKey).toMatch(/^cqp_agent_/);
    expect(signingSecret).toMatch(/^whsec_/);
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: flowKey!, body: uniqueRequest() });
    expect(res.status).toBe(202);
    expect((await call(gw.url, 'GET', '/api/agent/approvals', { key: agentKey! })).status).toBe(200);

    expect((await cli('account', 'create', 'both', '--env', '--json')).code).toBe(64);
  });
});

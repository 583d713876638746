import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ActionsFileSchema } from '@cheqpoint/shared';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { actionConfigs } from '../../server/src/actions/action-configs.js';
import { executionModels } from '../../server/src/actions/execution.model.js';
import { parseSecretsKey } from '../../server/src/actions/secrets-key.js';
import { secretsStore } from '../../server/src/actions/secrets.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { runCli } from '../support/cli.js';
import { startFakeBilling, type FakeBilling } from '../support/fake-billing.js';
import { uniqueDbName } from '../support/gateway.js';
import { agent, call } from '../support/http.js';
import { spawnGatewayProcess, until, waitForReady, type GatewayProcess } from '../support/process.js';

const KEY = randomBytes(32).toString('base64');
const TOKEN = `sk_live_${randomBytes(10).toString('hex')}`;

/** Runs the CLI as `npm run -s cheqpoint -- …` does, on database `dbName`. */
const cli = (dbName: string, args: string[], env: Record<string, string> = {}, stdin = '') =>
  runCli(dbName, args, { env, stdin });

describe('Executions survive kill -9, and secrets need their key', () => {
  const dbName = uniqueDbName('exec_kill');
  let conn: Connection;
  let keys: CreatedAccount;
  let billing: FakeBilling;
  const children: GatewayProcess[] = [];

  async function spawnGateway(env: Record<string, string> = {}) {
    const gateway = await spawnGatewayProcess({
      MONGODB_URI: `${inject('mongodbUri')}${dbName}`,
      CHEQPOINT_CALLBACK_ALLOWLIST: billing.hostPort,
      CHEQPOINT_DISPATCH_INTERVAL_MS: '100',
      CHEQPOINT_CALLBACK_TIMEOUT_MS: '1000',
      CHEQPOINT_CALLBACK_LEASE_MS: '2000',
      CHEQPOINT_EXECUTION_GRACE_MS: '200',
      CHEQPOINT_SECRETS_KEY: KEY,
      ...env,
    });
    children.push(gateway);
    return gateway;
  }

  async function decided(url: string, sub: string) {
    const created = await call(url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: { action: 'cancel_subscription', summary: 'Cancel', details: { subscription_id: sub } },
    });
    expect(created.status).toBe(202);
    const id = created.body.approvalId as string;
    await call(url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    }).catch(() => null);
    return id;
  }

  const state = async (id: string) => (await executionModels(conn).Execution.findById(id).lean())?.state ?? null;

  beforeAll(async () => {
    billing = await startFakeBilling();
    conn = await connectDatabase(inject('mongodbUri'), dbName);
    keys = await accountsService(conn).createAccount('exec-kill');
    await secretsStore(conn).set(parseSecretsKey(KEY), keys.accountId, 'billing', TOKEN, new Date());
    await actionConfigs(conn).set(
      keys.accountId,
      ActionsFileSchema.parse({
        actions: [
          {
            action: 'cancel_subscription',
            execute: {
              url: billing.url('/v1/subscriptions/{{details.subscription_id}}/cancel'),
              headers: { authorization: 'Bearer {{secrets.billing}}' },
            },
          },
        ],
      }),
      new Date(),
    );
  });
  afterAll(async () => {
    for (const child of children) await child.kill();
    await conn?.dropDatabase().catch(() => {});
    await conn?.close();
    await billing?.close();
  });

  it('When the process is killed between the decision and the execution, then after a restart it executes once', async () => {
    const first = await spawnGateway({ CHEQPOINT_TEST_CRASH_AT: 'execution-before-send' });
    await waitForReady(first);
    const id = await decided(first.url, 'sub_k1');
    expect(await first.exited).toBe('SIGKILL');
    expect(billing.requests.filter((r) => r.path.includes('sub_k1'))).toEqual([]);
    const second = await spawnGateway();
    await waitForReady(second);
    await until(async () => (await state(id)) === 'done', 'the execution done', 20_000);
    expect(billing.requests.filter((r) => r.path.includes('sub_k1'))).toHaveLength(1);
    await second.kill();
  });

  it('When the process is killed after sending but before writing the result, then the restart sends it again with the same Idempotency-Key and it is carried out once', async () => {
    const first = await spawnGateway({ CHEQPOINT_TEST_CRASH_AT: 'execution-after-send' });
    await waitForReady(first);
    const id = await decided(first.url, 'sub_k2');
    expect(await first.exited).toBe('SIGKILL');
    const second = await spawnGateway();
    await waitForReady(second);
    await until(async () => (await state(id)) === 'done', 'the execution done', 20_000);
    const sent = billing.requests.filter((r) => r.path.includes('sub_k2'));
    expect(sent.length).toBe(2);
    expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([id]));
    expect([...billing.executed.keys()].filter((k) => k === id)).toHaveLength(1);
    const approval = await call(second.url, 'GET', `/api/approvals/${id}`, { key: keys.agentKey });
    expect(approval.body.execution).toMatchObject({ status: 'succeeded', lastStatus: 200 });
    expect(approval.text).not.toContain(TOKEN);
    expect(second.output()).not.toContain(TOKEN);
    await second.kill();
  });

  it('When secrets are stored and CHEQPOINT_SECRETS_KEY is unset or another key, then the gateway refuses to start saying so', async () => {
    const unset = await spawnGateway({ CHEQPOINT_SECRETS_KEY: '' });
    expect(await unset.exited).toBe(1);
    expect(unset.output()).toContain('CHEQPOINT_SECRETS_KEY is not set');
    const other = await spawnGateway({ CHEQPOINT_SECRETS_KEY: randomBytes(32).toString('base64') });
    expect(await other.exited).toBe(1);
    expect(other.output()).toContain('does not decrypt the stored secrets');
    const malformed = await spawnGateway({ CHEQPOINT_SECRETS_KEY: 'not-a-key' });
    expect(await malformed.exited).toBe(78);
    expect(malformed.output()).toContain('CHEQPOINT_SECRETS_KEY: must be 32 bytes in base64');
  });

  it('When the CLI gets bad input, then it names the field or the missing secret and stores nothing; secrets are never printed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'actions-'));
    const env = { CHEQPOINT_SECRETS_KEY: KEY, CHEQPOINT_CALLBACK_ALLOWLIST: billing.hostPort };
    const bad = path.join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        actions: [
          { action: 'refund', execute: { url: 'https://{{details.host}}/x', body: { a: '{{details' } }, when: 'soon' },
        ],
      }),
    );
    const invalid = await cli(dbName, ['action', 'set', keys.accountId, '--file', bad], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('actions[0].execute.url');
    expect(invalid.stderr).toContain('actions[0].execute.body.a');
    expect(invalid.stderr).toContain('actions[0].when');
    const unknownSecret = path.join(dir, 'secret.json');
    await writeFile(
      unknownSecret,
      JSON.stringify({
        actions: [
          { action: 'refund', execute: { url: billing.url('/r'), headers: { authorization: '{{secrets.nope}}' } } },
        ],
      }),
    );
    const missing = await cli(dbName, ['action', 'set', keys.accountId, '--file', unknownSecret], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('secret "nope" is not stored');
    expect((await actionConfigs(conn).get(keys.accountId))?.file.actions.map((a) => a.action)).toEqual([
      'cancel_subscription',
    ]);

    const noKey = await cli(dbName, ['secret', 'set', keys.accountId, 'crm'], { CHEQPOINT_SECRETS_KEY: '' }, 'v');
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('CHEQPOINT_SECRETS_KEY is not set');
    const set = await cli(dbName, ['secret', 'set', keys.accountId, 'crm'], env, 'crm-value-123\n');
    expect(set.code).toBe(0);
    const list = await cli(dbName, ['secret', 'list', keys.accountId], env);
    expect(list.stdout).toContain('billing');
    expect(list.stdout).toContain('crm');
    expect(list.stdout).not.toContain(TOKEN);
    const tried = await cli(
      dbName,
      ['action', 'try', keys.accountId, 'cancel_subscription', '--details', '{"subscription_id":"sub_9"}'],
      env,
    );
    expect(tried.code).toBe(0);
    expect(tried.stdout).toContain('/v1/subscriptions/sub_9/cancel');
    expect(tried.stdout).toContain('Bearer «secret:billing»');
    expect(tried.stdout).not.toContain(TOKEN);
    const hole = await cli(dbName, ['action', 'try', keys.accountId, 'cancel_subscription', '--details', '{}'], env);
    expect(hole.code).toBe(1);
    expect(hole.stderr).toContain('no value for details.subscription_id');
    const badJson = await cli(dbName, ['action', 'try', keys.accountId, 'cancel_subscription', '--details', '{'], env);
    expect(badJson.code).toBe(64);
    const show = await cli(dbName, ['action', 'show', keys.accountId], env);
    expect(show.stdout).toContain('cancel_subscription (when: late)');
    expect(show.stdout).not.toContain(TOKEN);
  }, 240_000);
});

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Policy } from '@cheqpoint/shared';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { policyCli, readPolicyFile, type CliContext } from '../../server/src/policies/policies.cli.js';
import { evaluatePolicy } from '../../server/src/policies/policy.evaluator.js';
import { connectTestDatabase } from '../support/gateway.js';

const EXAMPLE_FILE = path.join(REPO_ROOT, 'docs', 'policies.example.json');

let conn: Connection;
let acme: CreatedAccount;
let other: CreatedAccount;
let tmp: string;

beforeAll(async () => {
  conn = await connectTestDatabase('policies');
  acme = await accountsService(conn).createAccount('acme');
  other = await accountsService(conn).createAccount('other');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-policies-'));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await conn?.dropDatabase().catch(() => {});
  await conn?.close();
});

/** The CLI context over the test database, with usage errors marked and output captured. */
function cli() {
  let out = '';
  const ctx: CliContext = {
    withDatabase: (run) => run(conn),
    usageError: (message) => Object.assign(new Error(message), { isUsage: true }),
    write: (text) => {
      out += text;
    },
  };
  return { ctx, output: () => out };
}

function writePolicyFile(name: string, content: unknown) {
  const file = path.join(tmp, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const BAD_POLICY = {
  rules: [
    { name: 'no-deletes', action: 'delete_account', outcome: 'reject' },
    { name: 'small-refunds', action: 'refund', conditions: { amount: { lte: 'twenty' } }, outcome: 'approve' },
  ],
};

describe('The documented example policy', () => {
  let policy: Policy;
  beforeAll(async () => {
    await policiesRepository(conn).setPolicy(acme.accountId, await readPolicyFile(EXAMPLE_FILE));
    policy = (await policiesRepository(conn).getPolicy(acme.accountId))!.policy;
  });
  const evaluate = (action: string, details: Record<string, unknown>) =>
    evaluatePolicy(policy, { action, details: { ticket_id: '9921', ...details } });

  it('When a 15 refund with no prior refund is evaluated, then the rule approves it', () => {
    expect(evaluate('refund', { amount: 15 })).toMatchObject({
      outcome: 'approve',
      rule: 'small-first-refunds',
      note: 'Refunds up to 20 with no prior refund are approved automatically',
    });
    expect(evaluate('refund', { amount: '15.00' }).outcome).toBe('approve');
    expect(evaluate('refund', { amount: 20 }).outcome).toBe('approve');
  });

  it('When delete_account is evaluated, then it is rejected outright', () => {
    expect(evaluate('delete_account', { user_id: 'u1' })).toMatchObject({
      outcome: 'reject',
      rule: 'no-account-deletion',
    });
  });

  it('When a 200 refund is evaluated, then a person decides within 4 hours and may only lower the amount', () => {
    expect(evaluate('refund', { amount: 200 })).toMatchObject({
      outcome: 'require_human',
      rule: 'other-refunds',
      expiresInSeconds: 14400,
      editableFields: { amount: { type: 'number', min: 0, mayOnlyDecrease: true }, reason: { type: 'string' } },
    });
  });

  it('When a small refund carries a prior refund, then a person decides', () => {
    expect(evaluate('refund', { amount: 15, prior_refund: { id: 're_1', amount: 10 } })).toMatchObject({
      outcome: 'require_human',
      rule: 'other-refunds',
    });
  });

  it('When any other action is evaluated, then a person decides, with the per-action expiry where one is set', () => {
    expect(evaluate('cancel_subscription', {})).toMatchObject({
      outcome: 'require_human',
      rule: 'everything-else',
      expiresInSeconds: 3600,
    });
    expect(evaluate('update_address', {})).toMatchObject({ rule: 'everything-else', expiresInSeconds: null });
  });
});

describe('Policy storage', () => {
  it('When a policy is set twice, then the version rises, the latest is returned and other accounts have none', async () => {
    const repo = policiesRepository(conn);
    const account = await accountsService(conn).createAccount('versions');
    const first = await repo.setPolicy(account.accountId, { rules: [{ name: 'a', action: '*', outcome: 'reject' }] });
    const second = await repo.setPolicy(account.accountId, { rules: [{ name: 'b', action: 'x', outcome: 'approve' }] });
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(first.sha256).not.toBe(second.sha256);
    const stored = await repo.getPolicy(account.accountId);
    expect(stored).toMatchObject({ version: 2, sha256: second.sha256, policy: { rules: [{ name: 'b' }] } });
    expect(await repo.getPolicy(other.accountId)).toBeNull();
  });

  it('When a policy holds dotted paths and $-like values, then it round-trips through the database exactly', async () => {
    const account = await accountsService(conn).createAccount('dotted');
    const policy: Policy = {
      rules: [
        {
          name: '$weird.name',
          action: 'refund*',
          conditions: { 'customer.tier': { in: ['gold', '$vip'] }, 'items.0.qty': { lt: 3 } },
          outcome: 'require_human',
          editableFields: { 'customer.note': { type: 'string' } },
        },
      ],
      expiries: { 'refund*': 60 },
    };
    await policiesRepository(conn).setPolicy(account.accountId, policy);
    expect((await policiesRepository(conn).getPolicy(account.accountId))?.policy).toEqual(policy);
  });

  it('When an invalid policy is passed to setPolicy, then it throws and the stored one is unchanged', async () => {
    const account = await accountsService(conn).createAccount('invalid');
    const repo = policiesRepository(conn);
    await repo.setPolicy(account.accountId, { rules: [] });
    await expect(repo.setPolicy(account.accountId, BAD_POLICY as unknown as Policy)).rejects.toThrow();
    expect(await repo.getPolicy(account.accountId)).toMatchObject({ version: 1, policy: { rules: [] } });
  });
});

describe('policy CLI', () => {
  it('When policy set is given the example file, then it stores it and policy show lists the rules in order', async () => {
    const account = await accountsService(conn).createAccount('cli');
    const set = cli();
    await policyCli(['set', '--account', account.accountId, '--file', EXAMPLE_FILE], set.ctx);
    expect(set.output()).toBe(`Policy version 1 set for ${account.accountId} (4 rules).\n`);

    const show = cli();
    await policyCli(['show', '--account', account.accountId], show.ctx);
    const lines = show.output().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Policy of ${account.accountId}, version 1, set `));
    expect(lines.slice(1, 6)).toEqual([
      '  1. small-first-refunds: refund when amount > 0 and amount <= 20 and prior_refund is absent → approve',
      '       note: Refunds up to 20 with no prior refund are approved automatically',
      '  2. no-account-deletion: delete_account → reject',
      '       note: Accounts are never deleted by the AI agent; hand the ticket to a person',
      '  3. other-refunds: refund → require_human [expires after 14400 s]',
    ]);
    expect(show.output()).toContain('editable: amount (number, min 0, may only decrease); reason (string)');
    expect(show.output()).toContain('Per-action expiry: cancel_* 3600 s');

    const json = cli();
    await policyCli(['show', '--account', account.accountId, '--json'], json.ctx);
    expect(JSON.parse(json.output())).toMatchObject({
      accountId: account.accountId,
      version: 1,
      policy: { rules: [{}, {}, {}, {}] },
    });
  });

  it('When policy set is given an invalid file, then the error names the rule and field and nothing is stored', async () => {
    const account = await accountsService(conn).createAccount('cli-bad');
    const file = writePolicyFile('bad.json', BAD_POLICY);
    await expect(policyCli(['set', '--account', account.accountId, '--file', file], cli().ctx)).rejects.toThrow(
      `Policy file ${file} is invalid:\n  rules[1] "small-refunds": conditions.amount.lte: Invalid input: expected number, received string`,
    );
    const broken = writePolicyFile('broken.json', '{"rules": [');
    await expect(policyCli(['set', '--account', account.accountId, '--file', broken], cli().ctx)).rejects.toThrow(
      /is not valid JSON/,
    );
    expect(await policiesRepository(conn).getPolicy(account.accountId)).toBeNull();
  });

  it('When the account is unknown or an option is missing, then a usage error says so', async () => {
    await expect(policyCli(['show', '--account', 'acc_nope'], cli().ctx)).rejects.toMatchObject({
      message: 'No account acc_nope',
      isUsage: true,
    });
    await expect(policyCli(['set', '--file', EXAMPLE_FILE], cli().ctx)).rejects.toMatchObject({ isUsage: true });
    await expect(policyCli(['frobnicate'], cli().ctx)).rejects.toMatchObject({ isUsage: true });
  });

  it('When policy check validates a file, then no database is needed', async () => {
    const check = cli();
    await policyCli(['check', '--file', EXAMPLE_FILE], {
      ...check.ctx,
      withDatabase: () => Promise.reject(new Error('no db')),
    });
    expect(check.output()).toBe(`Policy file ${EXAMPLE_FILE} is valid (4 rules).\n`);
  });

  it('When the real CLI sets an invalid then a valid file, then it exits 1 naming the rule, then 0', async () => {
    const account = await accountsService(conn).createAccount('cli-process');
    const url = new URL(inject('mongodbUri'));
    url.pathname = `/${conn.name}`;
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(
          path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
          [path.join(REPO_ROOT, 'server', 'src', 'cli', 'cheqpoint.ts'), ...args],
          {
            env: { ...process.env, MONGODB_URI: url.toString(), LOG_LEVEL: 'silent' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('error', reject);
        child.once('exit', (code) => resolve({ code, stdout, stderr }));
      });

    const bad = await run([
      'policy',
      'set',
      '--account',
      account.accountId,
      '--file',
      writePolicyFile('bad2.json', BAD_POLICY),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('rules[1] "small-refunds": conditions.amount.lte:');

    const good = await run(['policy', 'set', '--account', account.accountId, '--file', EXAMPLE_FILE, '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ accountId: account.accountId, version: 1, rules: 4 });

    const usage = await run(['policy', 'show']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('policy show needs --account');
  });
});

describe('policy try', () => {
  const AUTHORITY_FILE = path.join(REPO_ROOT, 'docs', 'policies.authority.example.json');

  it('When a request is tried against a policy file, then it reports the rule, who may decide, the approvers and the escalation', async () => {
    const big = cli();
    await policyCli(['try', '--file', AUTHORITY_FILE, '--action', 'refund', '--details', '{"amount": 500}'], big.ctx);
    expect(big.output()).toBe(
      [
        'A person decides (rule "big-refunds").',
        '  Who may decide: group Team leads (the app says “Needs a team lead”).',
        '  Escalation after 14400 s: also role admin may decide; ticket priority urgent; Team leads is told.',
        '',
      ].join('\n'),
    );
    const small = cli();
    await policyCli(['try', '--file', AUTHORITY_FILE, '--action', 'refund', '--details', '{"amount": 20}'], small.ctx);
    expect(small.output()).toBe('A person decides (rule "small-refunds").\n  Who may decide: any agent.\n');
    const deletion = cli();
    await policyCli(['try', '--file', AUTHORITY_FILE, '--action', 'delete_account', '--json'], deletion.ctx);
    expect(JSON.parse(deletion.output())).toMatchObject({
      outcome: 'require_human',
      rule: 'account-deletion',
      approvalsRequired: 2,
      deciders: { roles: ['admin'] },
      requirement: 'Needs an admin',
    });
  });

  it('When a request is tried against an account, then its stored policy answers; bad arguments are usage errors', async () => {
    await policyCli(['set', '--account', other.accountId, '--file', EXAMPLE_FILE], cli().ctx);
    const auto = cli();
    await policyCli(['try', '--account', other.accountId, '--action', 'delete_account'], auto.ctx);
    expect(auto.output()).toBe('Decided at once: rejected by rule "no-account-deletion".\n');
    for (const args of [
      ['try', '--action', 'refund'],
      ['try', '--file', EXAMPLE_FILE, '--account', other.accountId, '--action', 'refund'],
      ['try', '--file', EXAMPLE_FILE],
      ['try', '--file', EXAMPLE_FILE, '--action', 'refund', '--details', '[1]'],
      ['try', '--file', EXAMPLE_FILE, '--action', 'refund', '--details', '{"__proto__": {}}'],
    ]) {
      await expect(policyCli(args, cli().ctx)).rejects.toMatchObject({ isUsage: true });
    }
  });
});

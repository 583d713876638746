/**
 * `zendesk setup-guide`: what an admin types into Zendesk for each product, from the account's policy,
 * never a key; and the messaging product's documented wait answers within Zendesk's 10 s, nobody deciding.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePolicy } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const PUBLIC_URL = 'https://cheqpoint.example.com';
let gw: TestGateway;
let keys: CreatedAccount;
let plain: CreatedAccount;

/** Runs `npm run -s cheqpoint -- …` (or tsx directly, as npm does, with `viaTsx`) on the gateway's database. */
function cli(args: string[], env: Record<string, string> = {}, { viaNpm = false } = {}) {
  const [command, argv] = viaNpm
    ? ['npm', ['run', '-s', 'cheqpoint', '--', ...args]]
    : [path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['server/src/cli/cheqpoint.ts', ...args]];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command as string, argv as string[], {
      cwd: REPO_ROOT,
      env: { ...process.env, MONGODB_URI: `${inject('mongodbUri')}${gw.conn.name}`, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const guideJson = async (accountId: string, product: string, publicUrl = PUBLIC_URL) => {
  const out = await cli([
    'zendesk',
    'setup-guide',
    accountId,
    '--product',
    product,
    '--public-url',
    publicUrl,
    '--json',
  ]);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return { out, guide: JSON.parse(out.stdout) };
};

beforeAll(async () => {
  gw = await startTestGateway({ label: 'setup_guide' });
  keys = await gw.createAccount('guide');
  plain = await gw.createAccount('guide-no-policy');
  const policy = parsePolicy({
    rules: [
      { name: 'big-refunds', action: 'refund_order', conditions: { amount: { gt: 200 } }, outcome: 'require_human' },
      {
        name: 'vip-refunds',
        action: 'refund_order',
        conditions: { 'customer.tier': { eq: 'vip' } },
        outcome: 'approve',
      },
      { name: 'deletions', action: 'delete_account', outcome: 'require_human' },
    ],
  });
  if (!policy.success) throw new Error('policy does not parse');
  await policiesRepository(gw.conn).setPolicy(keys.accountId, policy.data);
});
afterAll(async () => gw?.close());

const secretsOf = (k: CreatedAccount) => [k.flowKey, k.agentKey, k.signingSecret];

describe('zendesk setup-guide', () => {
  it('When asked for each product, then it gives that product’s URL and wait, the x-api-key header, a body per policy action and the fields to save, and no secret', async () => {
    const waits = { advanced: 20, messaging: 8, webhook: 0 } as const;
    const listed = JSON.parse((await cli(['account', 'list', '--json'])).stdout) as {
      accountId: string;
      keys: { keyId: string; scope: string; last4: string }[];
    }[];
    const flowKeys = listed
      .find((a) => a.accountId === keys.accountId)
      ?.keys.filter((k) => k.scope === 'flow')
      .map(({ keyId, last4 }) => ({ keyId, last4 }));
    expect(flowKeys).toHaveLength(1);
    for (const product of ['advanced', 'messaging', 'webhook'] as const) {
      const { out, guide } = await guideJson(keys.accountId, product);
      expect(Object.keys(guide).sort()).toEqual(
        [
          'accountId',
          'bodies',
          'branches',
          'lateDecision',
          'product',
          'productName',
          'request',
          'responseFields',
          'steps',
          'unverified',
          'waitSeconds',
          'zendeskTimeoutSeconds',
        ].sort(),
      );
      expect(guide).toMatchObject({ accountId: keys.accountId, product, waitSeconds: waits[product] });
      expect(guide.waitSeconds).toBeLessThan(guide.zendeskTimeoutSeconds);
      expect(guide.request).toMatchObject({
        method: 'POST',
        url: `${PUBLIC_URL}/api/webhooks/inbound?wait=${waits[product]}`,
        contentType: 'application/json',
        auth: { kind: 'api-key', header: 'x-api-key', flowKeys },
      });
      expect(guide.request.auth.value).toContain('flow key');
      expect(guide.bodies.map((b: { action: string }) => b.action)).toEqual(['refund_order', 'delete_account']);
      const refund = guide.bodies[0].body;
      expect(refund.action).toBe('refund_order');
      expect(Object.keys(refund.details).sort()).toEqual(['amount', 'customer', 'ticket_id']);
      expect(Object.keys(refund.details.customer)).toEqual(['tier']);
      expect(guide.steps.join('\n')).toContain(product === 'webhook' ? 'Webhooks → Create webhook' : 'x-api-key');
      for (const secret of secretsOf(keys)) expect(out.stdout).not.toContain(secret);
    }
    const advanced = (await guideJson(keys.accountId, 'advanced')).guide;
    expect(advanced.zendeskTimeoutSeconds).toBe(30);
    expect(advanced.responseFields.map((f: { field: string }) => f.field)).toEqual([
      'status',
      'approvalId',
      'decisionNote',
      'modifiedDetails',
    ]);
    expect(advanced.branches.map((b: { when: string }) => b.when.split(' ')[0])).toEqual([
      'status',
      'status',
      'status',
      'the',
    ]);
    expect(advanced.bodies[0].body.details.ticket_id).toBe('{{ticket_id}}');
    const messaging = (await guideJson(keys.accountId, 'messaging')).guide;
    expect(messaging.zendeskTimeoutSeconds).toBe(10);
    expect(messaging.steps.join('\n')).toContain('Make API call');
    expect(messaging.branches.at(-1).when).toContain('failure branch');
    const webhook = (await guideJson(keys.accountId, 'webhook')).guide;
    expect(webhook.responseFields).toEqual([]);
    expect(webhook.bodies[0].body.details.ticket_id).toBe('{{ticket.id}}');
  });

  it('When the account has no policy, then the body is an example; the text form names the steps and what is unverified, and no secret', async () => {
    const { guide } = await guideJson(plain.accountId, 'messaging');
    expect(guide.bodies).toEqual([expect.objectContaining({ action: 'cancel_subscription', rule: null })]);
    const text = await cli(['zendesk', 'setup-guide', plain.accountId, '--product', 'messaging'], {
      CHEQPOINT_PUBLIC_URL: PUBLIC_URL,
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`URL:           ${PUBLIC_URL}/api/webhooks/inbound?wait=8`);
    expect(text.stdout).toContain('header:        x-api-key: <the account');
    expect(text.stdout).toContain('Make API call');
    expect(text.stdout).toContain('the customer hears: “A colleague is reviewing this');
    expect(text.stdout).toContain('Not tried against a real Zendesk here:');
    for (const secret of secretsOf(plain)) expect(text.stdout).not.toContain(secret);
  });

  it('When the product, the URL or the account is missing or wrong, then it exits 64 saying what to give', async () => {
    const noUrl = await cli(['zendesk', 'setup-guide', keys.accountId, '--product', 'advanced'], {
      CHEQPOINT_PUBLIC_URL: '',
    });
    expect(noUrl.code).toBe(64);
    expect(noUrl.stderr).toContain('--public-url https://cheqpoint.example.com, or CHEQPOINT_PUBLIC_URL');
    const badProduct = await cli(['zendesk', 'setup-guide', keys.accountId, '--product', 'chat']);
    expect(badProduct.code).toBe(64);
    expect(badProduct.stderr).toContain('--product advanced|messaging|webhook');
    const plainHttp = await cli([
      'zendesk',
      'setup-guide',
      keys.accountId,
      '--product',
      'advanced',
      '--public-url',
      'http://cheqpoint.example.com',
    ]);
    expect(plainHttp.code).toBe(64);
    expect(plainHttp.stderr).toContain('--public-url must be https');
    const noAccount = await cli([
      'zendesk',
      'setup-guide',
      'acc_missing',
      '--product',
      'advanced',
      '--public-url',
      PUBLIC_URL,
    ]);
    expect(noAccount.code).toBe(64);
    expect(noAccount.stderr).toContain('No account acc_missing');
  });

  it('When the messaging guide is followed as the README writes it and nobody decides, then the call answers pending within Zendesk’s 10 s', async () => {
    const out = await cli(
      ['zendesk', 'setup-guide', keys.accountId, '--product', 'messaging', '--public-url', gw.url, '--json'],
      {},
      { viaNpm: true },
    );
    expect(out.code).toBe(0);
    const guide = JSON.parse(out.stdout);
    const { body } = guide.bodies[1] as { body: Record<string, unknown> };
    const res = await fetch(guide.request.url, {
      method: guide.request.method,
      headers: { 'content-type': guide.request.contentType, [guide.request.auth.header]: keys.flowKey },
      body: JSON.stringify({ ...body, details: { ...(body['details'] as object), ticket_id: '4711' } }),
      // Zendesk's Make API call step gives up after 10 s
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'pending', action: 'delete_account', decisionNote: null });
  });
});

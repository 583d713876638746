import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePolicy, SuggestionsSchema } from '@cheqpoint/shared';
import { connectDatabase } from '../../server/src/db/connection.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { runCli } from '../support/cli.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { call } from '../support/http.js';

const dbName = uniqueDbName('suggest');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-suggest-'));
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;

/** Runs the CLI exactly as `npm run cheqpoint -- …` does, on the test database. */
const cli = (...args: string[]) => runCli(dbName, args);

let n = 0;
/** One request decided by a person through the public API, as the app does it. */
async function seed(action: string, details: Record<string, unknown>, decision: 'approve' | 'change' | 'reject') {
  const full: Record<string, unknown> = { ticket_id: '7', order: `o-${n++}`, ...details };
  const created = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    body: { action, summary: `${action} ${n}`, details: full },
  });
  expect(created.status).toBe(202);
  const body =
    decision === 'reject'
      ? { decision: 'reject', note: 'No', agent: { id: '1', name: 'Ada' } }
      : {
          decision: 'approve',
          agent: { id: '1', name: 'Ada' },
          ...(decision === 'change' ? { modifiedDetails: { ...full, amount: Number(full['amount']) / 2 } } : {}),
        };
  const decided = await call(gw.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
    key: keys.agentKey,
    body,
  });
  expect(decided.status, decided.text).toBe(200);
}

beforeAll(async () => {
  gw = await startTestGateway({ conn: await connectDatabase(`${inject('mongodbUri')}${dbName}`) });
  keys = await gw.createAccount();
  // The account's own rule: people may halve refunds; it stays after the suggested ones.
  const own = parsePolicy({
    rules: [
      { name: 'refunds', action: 'refund', outcome: 'require_human', editableFields: { amount: { type: 'number' } } },
    ],
  });
  if (!own.success) throw new Error('bad policy');
  await policiesRepository(gw.conn).setPolicy(keys.accountId, own.data);
  // 60 small refunds (€5–€64) approved unchanged; 20 large ones (€500–€1,450) with mixed outcomes, an
  // approved one among them below the first change.
  for (let i = 0; i < 60; i++) await seed('refund', { amount: 5 + i }, 'approve');
  const large: ('approve' | 'change' | 'reject')[] = ['approve', 'approve', 'change', 'reject'];
  for (let i = 0; i < 20; i++) await seed('refund', { amount: 500 + i * 50 }, large[i % 4]!);
  // 40 cancellations approved and one rejected: not proposed. 30 account deletions all rejected.
  for (let i = 0; i < 40; i++) await seed('cancel_subscription', { plan: 'premium' }, 'approve');
  await seed('cancel_subscription', { plan: 'premium' }, 'reject');
  for (let i = 0; i < 30; i++) await seed('delete_account', { reason: 'asked' }, 'reject');
}, 120_000);
afterAll(async () => {
  await gw?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Suggested rules', () => {
  it('When 60 small refunds were approved unchanged and 20 large ones had mixed outcomes, then the suggestion auto-approves the small ones with a bound below every large one', async () => {
    const res = await call(gw.url, 'GET', '/api/agent/insights/suggestions', { key: keys.agentKey });
    expect(res.status).toBe(200);
    const result = SuggestionsSchema.parse(res.body);
    const refunds = result.suggestions.filter((s) => s.slice.action === 'refund');
    expect(refunds).toHaveLength(1);
    const [refund] = refunds;
    expect(refund!.kind).toBe('auto_approve');
    expect(refund!.slice).toEqual({ action: 'refund', field: 'amount', lte: 100 });
    expect(refund!.rule).toMatchObject({ action: 'refund', outcome: 'approve', conditions: { amount: { lte: 100 } } });
    expect(refund!.period).toEqual({ decidedByPeople: 60, approvedUnchanged: 60, approvedWithChanges: 0, rejected: 0 });
    expect(refund!.backtest).toMatchObject({
      wouldHaveDecided: 60,
      approvedUnchanged: 60,
      conflicting: 0,
      rejected: 0,
    });
    // Nothing for the large refunds, nothing for the cancellations (one rejection).
    expect(result.suggestions.map((s) => `${s.kind}:${s.slice.action}`).sort()).toEqual([
      'auto_approve:refund',
      'auto_reject:delete_account',
    ]);
    const reject = result.suggestions.find((s) => s.kind === 'auto_reject');
    expect(reject!.backtest).toMatchObject({ wouldHaveDecided: 30, rejected: 30, conflicting: 0 });
    // The policy: suggested rules first, the account's own after them.
    expect(result.policy.rules.map((r) => r.name)).toEqual([...result.suggestions.map((s) => s.rule.name), 'refunds']);
  });

  it('When policy suggest prints --json, then policy try and policy set take the file: small refunds are approved, large ones go to a person', async () => {
    const text = await cli('policy', 'suggest', keys.accountId);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('refund when amount <= 100 → approve');
    expect(text.stdout).toContain('would have decided 60');
    expect(text.stdout).not.toContain('cancel_subscription');
    const json = await cli('policy', 'suggest', keys.accountId, '--json');
    expect(json.code, json.stderr).toBe(0);
    const file = path.join(tmp, 'suggested-policy.json');
    writeFileSync(file, json.stdout);
    const small = await cli(
      'policy',
      'try',
      '--file',
      file,
      '--action',
      'refund',
      '--details',
      '{"amount": 100}',
      '--json',
    );
    expect(small.code, small.stderr).toBe(0);
    expect(JSON.parse(small.stdout)).toMatchObject({
      outcome: 'approve',
      rule: 'suggested-approve-refund-amount-lte-100',
    });
    for (const amount of [101, 1450]) {
      const large = await cli(
        'policy',
        'try',
        '--file',
        file,
        '--action',
        'refund',
        '--details',
        JSON.stringify({ amount }),
        '--json',
      );
      expect(JSON.parse(large.stdout)).toMatchObject({ outcome: 'require_human', rule: 'refunds' });
    }
    const set = await cli('policy', 'set', '--account', keys.accountId, '--file', file, '--json');
    expect(set.code, set.stderr).toBe(0);
    // Applied, the rule decides the next small refund at once.
    const next = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: { action: 'refund', summary: 'small', details: { ticket_id: '8', amount: 12 } },
    });
    expect(next.body).toMatchObject({
      status: 'approved',
      decidedBy: { type: 'policy', rule: 'suggested-approve-refund-amount-lte-100' },
    });
    // Nothing is suggested twice once the account has the rule.
    const again = await call(gw.url, 'GET', '/api/agent/insights/suggestions', { key: keys.agentKey });
    expect(again.body.suggestions.map((s: { kind: string }) => s.kind)).toEqual([]);
  }, 120_000);

  it('When policy suggest names no account or an unknown one, then it exits 64 saying so', async () => {
    const none = await cli('policy', 'suggest');
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('policy suggest needs <accountId>');
    const unknown = await cli('policy', 'suggest', 'acc_nope');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('No account acc_nope');
    const days = await cli('policy', 'suggest', keys.accountId, '--days', '0');
    expect(days.code).toBe(64);
  }, 60_000);
});

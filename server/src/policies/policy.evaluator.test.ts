import { describe, expect, it } from 'vitest';
import { PolicySchema, type Policy, type PolicyRule } from '@cheqpoint/shared';
import { actionExpiry, evaluatePolicy, matchesAction, policyDecision, toPolicyVerdict } from './policy.evaluator.js';

const policy = (rules: PolicyRule[], expiries?: Policy['expiries']) =>
  PolicySchema.parse({ rules, ...(expiries ? { expiries } : {}) });
const one = (conditions: PolicyRule['conditions']) =>
  policy([{ name: 'r', action: 'act', conditions, outcome: 'approve' }]);
const outcome = (p: Policy, details: Record<string, unknown>, action = 'act') =>
  evaluatePolicy(p, { action, details }).outcome;

describe('Policy evaluation', () => {
  it('When there is no policy or no rule matches, then a person decides', () => {
    expect(evaluatePolicy(null, { action: 'x', details: {} })).toEqual({
      outcome: 'require_human',
      rule: null,
      note: null,
      expiresInSeconds: null,
      dryRun: [],
      editableFields: null,
      approvalsRequired: 1,
      deciders: null,
      escalation: null,
      notify: null,
    });
    expect(outcome(policy([{ name: 'r', action: 'other', outcome: 'approve' }]), {})).toBe('require_human');
  });

  it('When the deciding rule names deciders and an escalation, then the evaluation carries them; a rule before it that does not decide lends none', () => {
    const deciders = { groups: ['Team leads'] };
    const escalation = { afterSeconds: 60, priority: 'urgent' as const };
    const p = policy([
      { name: 'dry', action: 'refund', outcome: 'approve', dryRun: true },
      {
        name: 'big',
        action: 'refund',
        conditions: { amount: { gt: 200 } },
        outcome: 'require_human',
        deciders,
        escalation,
      },
      { name: 'rest', action: '*', outcome: 'require_human' },
    ]);
    const big = evaluatePolicy(p, { action: 'refund', details: { amount: 500 } });
    expect(big).toMatchObject({ rule: 'big', deciders, escalation, dryRun: [{ rule: 'dry', wouldHave: 'approve' }] });
    expect(toPolicyVerdict(big, 3)).toMatchObject({ deciders, escalation, policyVersion: 3 });
    const small = evaluatePolicy(p, { action: 'refund', details: { amount: 5 } });
    expect(small).toMatchObject({ rule: 'rest', deciders: null, escalation: null });
    expect(toPolicyVerdict(small, 3)).not.toHaveProperty('deciders');
  });

  it('When eq is used, then the value must be equal including its type', () => {
    const p = one({ tier: { eq: 'gold' }, count: { eq: 2 }, gone: { eq: null } });
    expect(outcome(p, { tier: 'gold', count: 2, gone: null })).toBe('approve');
    expect(outcome(p, { tier: 'gold', count: '2', gone: null })).toBe('require_human');
    expect(outcome(p, { tier: 'silver', count: 2, gone: null })).toBe('require_human');
    expect(outcome(p, { tier: 'gold', count: 2 })).toBe('require_human');
  });

  it('When in is used, then the value must be one of the options', () => {
    const p = one({ country: { in: ['DE', 'FR', 7] } });
    expect(outcome(p, { country: 'FR' })).toBe('approve');
    expect(outcome(p, { country: 7 })).toBe('approve');
    expect(outcome(p, { country: 'US' })).toBe('require_human');
    expect(outcome(p, {})).toBe('require_human');
  });

  it.each([
    ['lt', 20, [19.99], [20, 21]],
    ['lte', 20, [20, -5], [20.01]],
    ['gt', 20, [20.01], [20, 0]],
    ['gte', 20, [20, 100], [19.99]],
  ] as const)('When %s %s is used, then it compares numbers', (op, bound, passing, failing) => {
    const p = one({ amount: { [op]: bound } });
    for (const amount of passing) expect(outcome(p, { amount }), `${amount}`).toBe('approve');
    for (const amount of failing) expect(outcome(p, { amount }), `${amount}`).toBe('require_human');
  });

  it('When a number arrives as a decimal string, then comparisons use its value; other strings never match', () => {
    const p = one({ amount: { lte: 20 } });
    expect(outcome(p, { amount: '15' })).toBe('approve');
    expect(outcome(p, { amount: '15.50' })).toBe('approve');
    expect(outcome(p, { amount: '25' })).toBe('require_human');
    for (const amount of ['', '1e1', '0x10', ' 5', 'ten', null, true, [5], { v: 5 }]) {
      expect(outcome(p, { amount }), JSON.stringify(amount)).toBe('require_human');
    }
    expect(outcome(p, {})).toBe('require_human');
  });

  it('When exists is used, then true means present and not null, false means absent or null', () => {
    const present = one({ prior: { exists: true } });
    const absent = one({ prior: { exists: false } });
    expect(outcome(present, { prior: 0 })).toBe('approve');
    expect(outcome(present, { prior: false })).toBe('approve');
    expect(outcome(present, { prior: null })).toBe('require_human');
    expect(outcome(absent, {})).toBe('approve');
    expect(outcome(absent, { prior: null })).toBe('approve');
    expect(outcome(absent, { prior: { id: 'r1' } })).toBe('require_human');
  });

  it('When a condition names a nested path, then it reads own fields only, through objects and arrays', () => {
    const p = one({ 'customer.tier': { eq: 'gold' }, 'items.0.sku': { eq: 'A' } });
    expect(outcome(p, { customer: { tier: 'gold' }, items: [{ sku: 'A' }] })).toBe('approve');
    expect(outcome(p, { customer: { tier: 'gold' }, items: [{ sku: 'B' }] })).toBe('require_human');
    expect(outcome(p, { 'customer.tier': 'gold', items: [{ sku: 'A' }] })).toBe('require_human');
    expect(outcome(one({ 'x.toString': { exists: true } }), { x: {} })).toBe('require_human');
  });

  it('When several conditions and operators are given, then all must hold', () => {
    const p = one({ amount: { gt: 0, lte: 20 }, currency: { eq: 'EUR' } });
    expect(outcome(p, { amount: 10, currency: 'EUR' })).toBe('approve');
    expect(outcome(p, { amount: 0, currency: 'EUR' })).toBe('require_human');
    expect(outcome(p, { amount: 10, currency: 'USD' })).toBe('require_human');
  });

  it('When action patterns use *, then they match as globs and other characters literally', () => {
    expect(matchesAction('refund', 'refund')).toBe(true);
    expect(matchesAction('refund', 'refund_order')).toBe(false);
    expect(matchesAction('refund*', 'refund_order')).toBe(true);
    expect(matchesAction('*_account', 'delete_account')).toBe(true);
    expect(matchesAction('*_account', 'delete_accounts')).toBe(false);
    expect(matchesAction('a*c*e', 'abcde')).toBe(true);
    expect(matchesAction('*', 'anything')).toBe(true);
    expect(matchesAction('a.b', 'aXb')).toBe(false);
    expect(matchesAction('(x)+', '(x)+')).toBe(true);
  });

  it('When several rules match, then the first one in file order decides and carries its note', () => {
    const p = policy([
      { name: 'reject-big', action: 'refund', conditions: { amount: { gt: 100 } }, outcome: 'reject', note: 'Too big' },
      { name: 'approve-all', action: 'refund*', outcome: 'approve', note: 'Fine' },
      { name: 'human', action: '*', outcome: 'require_human' },
    ]);
    expect(evaluatePolicy(p, { action: 'refund', details: { amount: 500 } })).toMatchObject({
      outcome: 'reject',
      rule: 'reject-big',
      note: 'Too big',
    });
    expect(evaluatePolicy(p, { action: 'refund', details: { amount: 5 } })).toMatchObject({
      outcome: 'approve',
      rule: 'approve-all',
    });
    expect(evaluatePolicy(p, { action: 'ship', details: {} })).toMatchObject({
      outcome: 'require_human',
      rule: 'human',
    });
  });

  it('When dry-run rules match before the deciding rule, then they are recorded and a person still decides', () => {
    const p = policy([
      { name: 'try-approve', action: 'refund', outcome: 'approve', dryRun: true },
      { name: 'try-reject', action: 'refund', conditions: { amount: { gt: 50 } }, outcome: 'reject', dryRun: true },
      { name: 'human', action: '*', outcome: 'require_human' },
      { name: 'after', action: 'refund', outcome: 'reject', dryRun: true },
    ]);
    expect(evaluatePolicy(p, { action: 'refund', details: { amount: 80 } })).toMatchObject({
      outcome: 'require_human',
      rule: 'human',
      dryRun: [
        { rule: 'try-approve', wouldHave: 'approve' },
        { rule: 'try-reject', wouldHave: 'reject' },
      ],
    });
    expect(evaluatePolicy(p, { action: 'refund', details: { amount: 10 } }).dryRun).toEqual([
      { rule: 'try-approve', wouldHave: 'approve' },
    ]);
    const onlyDry = policy([{ name: 'd', action: '*', outcome: 'reject', dryRun: true }]);
    expect(evaluatePolicy(onlyDry, { action: 'x', details: {} })).toMatchObject({
      outcome: 'require_human',
      rule: null,
      dryRun: [{ rule: 'd', wouldHave: 'reject' }],
    });
  });

  it('When a rule sends to a person, then its expiry wins over the per-action expiry, which wins over none', () => {
    const p = policy(
      [
        { name: 'quick', action: 'refund', outcome: 'require_human', expiresInSeconds: 600 },
        { name: 'auto', action: 'nothing', outcome: 'approve' },
        { name: 'rest', action: '*', outcome: 'require_human' },
      ],
      { 'cancel_*': 3600, cancel_subscription: 7200, '*': 86400, refund: 5 },
    );
    expect(evaluatePolicy(p, { action: 'refund', details: {} }).expiresInSeconds).toBe(600);
    expect(evaluatePolicy(p, { action: 'cancel_subscription', details: {} }).expiresInSeconds).toBe(7200);
    expect(evaluatePolicy(p, { action: 'cancel_order', details: {} }).expiresInSeconds).toBe(3600);
    expect(evaluatePolicy(p, { action: 'ship', details: {} }).expiresInSeconds).toBe(86400);
    expect(evaluatePolicy(p, { action: 'nothing', details: {} }).expiresInSeconds).toBeNull();
    expect(actionExpiry(policy([]), 'x')).toBeNull();
  });

  it('When rules declare editableFields, then the first matching declaring rule gives the bounds', () => {
    const p = policy([
      { name: 'dry', action: 'refund', outcome: 'approve', dryRun: true },
      { name: 'big', action: 'refund', conditions: { amount: { gt: 100 } }, outcome: 'require_human' },
      {
        name: 'bounds',
        action: 'refund',
        outcome: 'require_human',
        editableFields: { amount: { type: 'number', mayOnlyDecrease: true } },
      },
      { name: 'other', action: 'refund', outcome: 'require_human', editableFields: {} },
    ]);
    const big = evaluatePolicy(p, { action: 'refund', details: { amount: 500 } });
    expect(big.rule).toBe('big');
    expect(big.editableFields).toEqual({ amount: { type: 'number', mayOnlyDecrease: true } });
    expect(evaluatePolicy(p, { action: 'ship', details: {} }).editableFields).toBeNull();
  });

  it('When a rule decides, then policyDecision gives the decision record fields and toPolicyVerdict the summary', () => {
    const p = policy([
      { name: 'dry', action: '*', outcome: 'approve', dryRun: true },
      { name: 'no', action: 'delete_account', outcome: 'reject', note: 'Never' },
    ]);
    const rejected = evaluatePolicy(p, { action: 'delete_account', details: {} });
    expect(policyDecision(rejected)).toEqual({
      outcome: 'rejected',
      note: 'Never',
      decidedBy: { type: 'policy', rule: 'no' },
    });
    expect(toPolicyVerdict(rejected, 3)).toEqual({
      outcome: 'reject',
      rule: 'no',
      dryRun: [{ rule: 'dry', wouldHave: 'approve' }],
      policyVersion: 3,
    });
    expect(policyDecision(evaluatePolicy(p, { action: 'x', details: {} }))).toBeNull();
  });
  it('When the deciding require_human rule asks for approvals, then the evaluation and the verdict carry them', () => {
    const p = policy([
      { name: 'dry', action: '*', outcome: 'approve', dryRun: true },
      { name: 'big', action: 'refund', conditions: { amount: { gt: 500 } }, outcome: 'require_human', approvals: 2 },
      { name: 'rest', action: 'refund', outcome: 'require_human' },
    ]);
    const big = evaluatePolicy(p, { action: 'refund', details: { amount: 900 } });
    expect(big.approvalsRequired).toBe(2);
    expect(toPolicyVerdict(big, 1)).toEqual({
      outcome: 'require_human',
      rule: 'big',
      dryRun: [{ rule: 'dry', wouldHave: 'approve' }],
      policyVersion: 1,
      approvalsRequired: 2,
    });
    const small = evaluatePolicy(p, { action: 'refund', details: { amount: 10 } });
    expect(small.approvalsRequired).toBe(1);
    expect(toPolicyVerdict(small, 1)).not.toHaveProperty('approvalsRequired');
  });
});

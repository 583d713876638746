import { describe, expect, it } from 'vitest';
import { formatPolicyErrors, parsePolicy } from './policy.schema.js';

const errorsOf = (input: unknown) => {
  const result = parsePolicy(input);
  if (result.success) throw new Error('expected the policy to be invalid');
  return result.errors;
};

describe('Policy file schema', () => {
  it('When a policy with every feature is parsed, then it is valid', () => {
    const result = parsePolicy({
      rules: [
        {
          name: 'all',
          action: 'refund*',
          conditions: { amount: { gt: 0, lte: 20 }, 'customer.tier': { in: ['gold'] }, prior: { exists: false } },
          outcome: 'require_human',
          note: 'n',
          expiresInSeconds: 600,
          editableFields: { amount: { type: 'number', min: 0, mayOnlyDecrease: true }, tier: { oneOf: ['a'] } },
        },
        { name: 'dry', action: '*', outcome: 'reject', dryRun: true },
      ],
      expiries: { 'cancel_*': 3600 },
    });
    expect(result.success).toBe(true);
  });

  it('When a rule has a wrongly typed operator, then the error names the rule by index and name and the field', () => {
    const errors = errorsOf({
      rules: [
        { name: 'first', action: '*', outcome: 'require_human' },
        { name: 'small-refunds', action: 'refund', conditions: { amount: { lte: '20' } }, outcome: 'approve' },
      ],
    });
    expect(errors).toEqual([
      expect.objectContaining({ rule: { index: 1, name: 'small-refunds' }, field: 'conditions.amount.lte' }),
    ]);
    expect(formatPolicyErrors(errors)).toMatch(/^rules\[1\] "small-refunds": conditions\.amount\.lte: .*number/);
  });

  it('When a rule has an unknown field or an unknown outcome, then each is named', () => {
    const errors = errorsOf({ rules: [{ name: 'r', action: 'x', outcome: 'maybe', outcom: 'approve' }] });
    expect(errors.map((e) => e.field).sort()).toEqual(['outcom', 'outcome']);
    expect(errors.find((e) => e.field === 'outcom')?.message).toBe('Unknown field');
  });

  it('When a rule has no name, then the error says it is unnamed', () => {
    const text = formatPolicyErrors(errorsOf({ rules: [{ action: 'x', outcome: 'approve' }] }));
    expect(text).toMatch(/^rules\[0\] \(unnamed\): name: /);
  });

  it('When two rules share a name, then the second is reported pointing at the first', () => {
    const errors = errorsOf({
      rules: [
        { name: 'dup', action: 'a', outcome: 'approve' },
        { name: 'dup', action: 'b', outcome: 'reject' },
      ],
    });
    expect(errors).toEqual([
      expect.objectContaining({
        rule: { index: 1, name: 'dup' },
        field: 'name',
        message: 'Rule name "dup" is already used by rules[0]',
      }),
    ]);
  });

  it('When a condition has no operator or a bad field path, then the path is named', () => {
    const errors = errorsOf({
      rules: [{ name: 'r', action: 'x', outcome: 'approve', conditions: { amount: {}, 'a..b': { eq: 1 } } }],
    });
    expect(errors.map((e) => e.field).sort()).toEqual(['conditions.a..b', 'conditions.amount']);
  });

  it('When prototype keys appear anywhere, then they are rejected, not dropped', () => {
    const input = JSON.parse(
      '{"rules":[{"name":"r","action":"x","outcome":"approve","conditions":{"__proto__":{"eq":1}}}]}',
    );
    expect(formatPolicyErrors(errorsOf(input))).toContain('__proto__');
  });

  it('When editable limits contradict each other, then the rule and field are named', () => {
    const errors = errorsOf({
      rules: [
        {
          name: 'edits',
          action: 'refund',
          outcome: 'require_human',
          editableFields: {
            amount: { type: 'string', min: 0 },
            qty: { min: 5, max: 1 },
            tier: { mayOnlyDecrease: true, mayOnlyIncrease: true },
          },
        },
      ],
    });
    expect(errors.map((e) => e.field).sort()).toEqual([
      'editableFields.amount.type',
      'editableFields.qty.max',
      'editableFields.tier.mayOnlyIncrease',
    ]);
  });

  it('When dryRun or expiresInSeconds are used where they mean nothing, then they are rejected', () => {
    const errors = errorsOf({
      rules: [
        { name: 'a', action: 'x', outcome: 'require_human', dryRun: true },
        { name: 'b', action: 'x', outcome: 'approve', expiresInSeconds: 60 },
      ],
    });
    expect(errors.map((e) => `${e.rule?.name}:${e.field}`)).toEqual(['a:dryRun', 'b:expiresInSeconds']);
  });

  it('When the top level is wrong, then the error names the top-level field', () => {
    expect(errorsOf({ rules: [], expiries: { refund: -1 } })[0]).toMatchObject({
      rule: null,
      field: 'expiries.refund',
    });
    expect(errorsOf([])[0]).toMatchObject({ rule: null, field: '' });
  });
  it('When a require_human rule asks for 2 to 10 approvals, then it is valid', () => {
    for (const approvals of [2, 10]) {
      expect(
        parsePolicy({ rules: [{ name: 'q', action: 'refund', outcome: 'require_human', approvals }] }).success,
      ).toBe(true);
    }
  });

  it('When approvals is out of range or not an integer, then the error names the rule and the approvals field', () => {
    for (const approvals of [0, 1, 11, 2.5, '2']) {
      const errors = errorsOf({ rules: [{ name: 'q', action: 'refund', outcome: 'require_human', approvals }] });
      expect(errors).toEqual([expect.objectContaining({ rule: { index: 0, name: 'q' }, field: 'approvals' })]);
    }
    const [tooFew] = errorsOf({ rules: [{ name: 'q', action: 'refund', outcome: 'require_human', approvals: 1 }] });
    expect(tooFew?.message).toMatch(/distinct approvers, at least 2/);
  });

  it('When an approve, reject or dry-run rule has approvals, then it is refused naming the field', () => {
    for (const rule of [
      { name: 'a', action: 'x', outcome: 'approve', approvals: 2 },
      { name: 'r', action: 'x', outcome: 'reject', approvals: 2 },
      { name: 'd', action: 'x', outcome: 'approve', dryRun: true, approvals: 2 },
    ]) {
      const errors = errorsOf({ rules: [rule] });
      expect(errors).toEqual([
        expect.objectContaining({
          field: 'approvals',
          message: 'approvals applies only to rules with outcome require_human',
        }),
      ]);
    }
  });

  it('When a rule names deciders and an escalation, then it is valid and the verdict shape parses', () => {
    const result = parsePolicy({
      rules: [
        {
          name: 'big-refunds',
          action: 'refund',
          conditions: { amount: { gt: 200 } },
          outcome: 'require_human',
          expiresInSeconds: 86_400,
          deciders: { groups: ['Team leads'], roles: ['admin'], label: 'Needs a team lead' },
          escalation: { afterSeconds: 3600, deciders: { roles: ['agent'] }, priority: 'urgent', notifyGroup: 'Leads' },
        },
        { name: 'ping', action: 'ping', outcome: 'require_human', escalation: { afterSeconds: 60, priority: 'high' } },
      ],
    });
    expect(result.success).toBe(true);
  });

  it('When deciders or an escalation are empty, misplaced or contradict the rule, then each problem names the rule and field', () => {
    const fields = (rule: object) => errorsOf({ rules: [rule] }).map((e) => `${e.field}: ${e.message}`);
    const human = { name: 'h', action: 'x', outcome: 'require_human' };
    expect(fields({ ...human, deciders: {} })).toEqual(['deciders: Give roles, groups or both: who may decide']);
    expect(fields({ ...human, deciders: { roles: ['owner'] } })[0]).toMatch(/^deciders\.roles\[0\]: /);
    expect(fields({ ...human, deciders: { groups: ['  '] } })).toEqual([
      'deciders.groups[0]: Group name must not be empty',
    ]);
    expect(fields({ ...human, deciders: { groups: ['a'], who: 1 } })).toEqual(['deciders.who: Unknown field']);
    expect(fields({ name: 'a', action: 'x', outcome: 'approve', deciders: { roles: ['admin'] } })).toEqual([
      'deciders: deciders applies only to rules with outcome require_human',
    ]);
    expect(fields({ ...human, escalation: { afterSeconds: 60 } })).toEqual([
      'escalation: Give deciders, priority or notifyGroup: what the escalation does',
    ]);
    expect(fields({ ...human, escalation: { afterSeconds: 60, priority: 'low' } })[0]).toMatch(
      /^escalation\.priority: /,
    );
    expect(fields({ ...human, escalation: { afterSeconds: 60, deciders: { roles: ['admin'] } } })[0]).toMatch(
      /^escalation\.deciders: escalation\.deciders widens the rule's deciders/,
    );
    expect(fields({ ...human, expiresInSeconds: 600, escalation: { afterSeconds: 600, priority: 'high' } })).toEqual([
      "escalation.afterSeconds: afterSeconds must be below the rule's expiresInSeconds (600): an expired approval cannot escalate",
    ]);
  });
});

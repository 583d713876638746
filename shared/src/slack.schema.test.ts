import { describe, expect, it } from 'vitest';
import { DecisionRequestSchema } from './approval.schema.js';
import { parsePolicy } from './policy.schema.js';

const errorsOf = (input: unknown) => {
  const result = parsePolicy(input);
  if (result.success) throw new Error('expected the policy to be invalid');
  return result.errors;
};

describe('A rule names its Slack channel', () => {
  it('When a require_human rule says notify.slack with a channel id, then it is valid', () => {
    const result = parsePolicy({
      rules: [{ name: 'leads', action: 'refund', outcome: 'require_human', notify: { slack: 'C0TEAMLEADS' } }],
    });
    expect(result.success).toBe(true);
  });

  it('When notify.slack is a #name, an unknown notify field, or on a rule a policy decides, then the error names the field', () => {
    const errors = errorsOf({
      rules: [
        { name: 'by-name', action: 'a', outcome: 'require_human', notify: { slack: '#approvals' } },
        { name: 'email', action: 'b', outcome: 'require_human', notify: { email: 'x@y.z' } },
        { name: 'auto', action: 'c', outcome: 'approve', notify: { slack: 'C0TEAMLEADS' } },
      ],
    });
    expect(errors).toEqual([
      expect.objectContaining({
        rule: { index: 0, name: 'by-name' },
        field: 'notify.slack',
        message: expect.stringContaining('Slack channel id such as C0123ABCD'),
      }),
      expect.objectContaining({ rule: { index: 1, name: 'email' }, field: 'notify.email', message: 'Unknown field' }),
      expect.objectContaining({ rule: { index: 2, name: 'auto' }, field: 'notify' }),
    ]);
  });
});

describe('The decision body says where it was decided', () => {
  const base = { decision: 'approve', agent: { id: '1', name: 'Ada' } };
  it('When the app sends channel sidebar or queue, then it is kept; slack (the gateway own) or api are refused', () => {
    expect(DecisionRequestSchema.parse({ ...base, channel: 'queue' }).channel).toBe('queue');
    expect(DecisionRequestSchema.parse(base).channel).toBeUndefined();
    for (const channel of ['slack', 'api', 'email']) {
      const result = DecisionRequestSchema.safeParse({ ...base, channel });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['channel']);
    }
  });
});

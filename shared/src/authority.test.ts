import { describe, expect, it } from 'vitest';
import { decidersAt, deciderMatch, describeDeciders } from './authority.js';

const policy = {
  deciders: { groups: ['Team leads'], label: 'Needs a team lead' },
  escalation: { deciders: { roles: ['admin' as const] } },
};

describe('Approval authority', () => {
  it('When a person has one of the roles or is in one of the groups (any case), then the first match is named', () => {
    const deciders = { roles: ['admin' as const], groups: ['Team leads', 'Finance'] };
    expect(deciderMatch(deciders, { role: 'admin', groups: ['Finance'] })).toBe('role:admin');
    expect(deciderMatch(deciders, { role: 'agent', groups: ['support', ' finance '] })).toBe('group: finance ');
    expect(deciderMatch(deciders, { role: 'agent', groups: ['Support'] })).toBeNull();
    expect(deciderMatch(deciders, { role: null, groups: [] })).toBeNull();
    // `agent` means every agent, and Zendesk's admins are agents too; `admin` is not met by an agent
    expect(deciderMatch({ roles: ['agent'] }, { role: 'admin', groups: [] })).toBe('role:admin');
    expect(deciderMatch({ roles: ['agent'] }, { role: 'agent', groups: [] })).toBe('role:agent');
    expect(deciderMatch({ roles: ['admin'] }, { role: 'agent', groups: [] })).toBeNull();
    expect(deciderMatch({ roles: ['agent'] }, { role: 'end-user', groups: [] })).toBeNull();
    expect(deciderMatch({ groups: ['Finance'] }, { role: 'admin', groups: [] })).toBeNull();
  });

  it('When the escalation time has passed, then its deciders are added; before, and without an escalation, the rule’s alone', () => {
    const at = '2026-12-01T12:00:00.000Z';
    expect(decidersAt(policy, at, new Date('2026-12-01T11:59:59Z'))).toEqual(policy.deciders);
    expect(decidersAt(policy, at, new Date(at))).toEqual({ roles: ['admin'], groups: ['Team leads'] });
    expect(decidersAt(policy, null, new Date(at))).toEqual(policy.deciders);
    expect(decidersAt({}, at, new Date(at))).toBeNull();
    expect(decidersAt(null, null, new Date(at))).toBeNull();
  });

  it('When deciders are described, then the label wins, else roles and groups read as plain English', () => {
    expect(describeDeciders(policy.deciders)).toBe('Needs a team lead');
    expect(describeDeciders({ roles: ['admin'] })).toBe('Needs an admin');
    expect(describeDeciders({ roles: ['admin'], groups: ['Team leads', 'Finance'] })).toBe(
      'Needs an admin, a member of Team leads or a member of Finance',
    );
  });
});

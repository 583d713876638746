import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { canDecideByDefault, filterApprovals } from '../../zendesk-app/src/app/components/queue/queue-model';
import { Queue } from '../../zendesk-app/src/app/locations/Queue';
import { NOW, buildApproval, fakeGateway, renderWithClient } from './support';

const TEAM_LEADS = { deciders: { groups: ['Team leads'], label: 'Needs a team lead' } };
const ids = (list: { approvalId: string }[]) => list.map((a) => a.approvalId);
const rowIds = () =>
  [...document.querySelectorAll('tbody tr[data-approval-id]')].map((el) => el.getAttribute('data-approval-id'));

const policy = (extra: Record<string, unknown>) =>
  ({
    outcome: 'require_human',
    rule: 'big-refunds',
    dryRun: [],
    policyVersion: 1,
    editableFields: null,
    ...extra,
  }) as never;

describe('The queue’s "Can decide" filter', () => {
  const anyone = buildApproval({ summary: 'Refund €40' });
  const teamLead = buildApproval({ summary: 'Refund €500', policy: policy(TEAM_LEADS) });
  const escalated = buildApproval({
    summary: 'Refund €900',
    policy: policy({ ...TEAM_LEADS, escalation: { afterSeconds: 60, deciders: { roles: ['admin'] } } }),
    escalatesAt: new Date(NOW - 60_000).toISOString(),
  });
  const voted = buildApproval({
    summary: 'Refund €300',
    quorum: {
      required: 2,
      approvals: [
        {
          agent: { id: '381', name: 'Ada Lovelace', verified: false },
          at: new Date(NOW - 60_000).toISOString(),
          note: null,
        },
      ],
    },
  });
  const all = [anyone, teamLead, escalated, voted];
  const ada = { agent: { id: '381', role: 'agent', groups: ['Support'] }, now: NOW };
  const grace = { agent: { id: '382', role: 'agent', groups: ['Support', 'Team leads'] }, now: NOW };
  const margaret = { agent: { id: '383', role: 'admin', groups: ['Support'] }, now: NOW };

  it('When "Can decide" is on, then only what the rule lets this agent decide stays: deciders, escalation widening, a quorum vote already counted', () => {
    const on = { action: '', risk: '' as const, canDecide: true };
    expect(ids(filterApprovals(all, on, ada))).toEqual(ids([anyone]));
    expect(ids(filterApprovals(all, on, grace))).toEqual(ids([anyone, teamLead, escalated, voted]));
    // an admin only once the escalation widened the deciders
    expect(ids(filterApprovals(all, on, margaret))).toEqual(ids([anyone, escalated, voted]));
    expect(ids(filterApprovals(all, { ...on, canDecide: false }, ada))).toEqual(ids(all));
  });

  it('When some listed approval’s rule leaves the agent out, then "Can decide" is on by default; for one who may decide everything it is off', () => {
    expect(canDecideByDefault(all, ada)).toBe(true);
    expect(canDecideByDefault([anyone, teamLead, escalated], grace)).toBe(false);
    expect(canDecideByDefault([anyone], ada)).toBe(false);
  });

  it('When Ada opens the queue with a team-lead refund in it, then "Can decide" is ticked and hides it until she unticks it', async () => {
    const gateway = fakeGateway({ listPending: async () => [anyone, teamLead] });
    renderWithClient(<Queue />, { gateway, location: 'nav_bar', currentUser: { groups: ['Support'] } });
    const box = (await screen.findByLabelText('Can decide')) as HTMLInputElement;
    await waitFor(() => expect(rowIds()).toEqual([anyone.approvalId]));
    expect(box.checked).toBe(true);
    fireEvent.click(box);
    await waitFor(() => expect(rowIds().sort()).toEqual([anyone.approvalId, teamLead.approvalId].sort()));
    expect(box.checked).toBe(false);
  });

  it('When Grace (Team leads) opens the same queue, then "Can decide" is off and she sees both', async () => {
    const gateway = fakeGateway({ listPending: async () => [anyone, teamLead] });
    renderWithClient(<Queue />, {
      gateway,
      location: 'nav_bar',
      currentUser: { id: '382', name: 'Grace Hopper', groups: ['Support', 'Team leads'] },
    });
    const box = (await screen.findByLabelText('Can decide')) as HTMLInputElement;
    await waitFor(() => expect(rowIds().sort()).toEqual([anyone.approvalId, teamLead.approvalId].sort()));
    expect(box.checked).toBe(false);
  });
});

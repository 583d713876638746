import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Approval, QuorumVote } from '@cheqpoint/shared';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { ApprovalCard } from '../../zendesk-app/src/app/components/ApprovalCard';
import { NOW, buildApproval, fakeGateway, renderWithClient } from './support';

/** The agent the support renders as signed in. */
const ME = { id: '381', name: 'Ada Lovelace', verified: false };
const GRACE = { id: '7', name: 'Grace Hopper', verified: false };
const vote = (agent: QuorumVote['agent']): QuorumVote => ({ agent, at: new Date(NOW).toISOString(), note: null });

const quorumApproval = (approvals: QuorumVote[], overrides: Partial<Approval> = {}) =>
  buildApproval({
    policy: {
      outcome: 'require_human',
      rule: 'big-refunds',
      dryRun: [],
      policyVersion: 1,
      approvalsRequired: 2,
      editableFields: null,
    },
    quorum: { required: 2, approvals },
    ...overrides,
  });

function CardHost({ initial }: { initial: ApprovalView }) {
  const [approval, setApproval] = useState(initial);
  return <ApprovalCard approval={approval} now={NOW} onUpdated={setApproval} />;
}

describe('ApprovalCard with a quorum', () => {
  it('When another agent has approved, then the card shows "1 of 2 approvals" with who, Approve is on and Modify is not offered', () => {
    renderWithClient(<CardHost initial={quorumApproval([vote(GRACE)])} />);
    const card = screen.getByRole('article', { name: 'Refund order' });
    expect(within(card).getByText('1 of 2 approvals · Grace Hopper')).toBeTruthy();
    expect(within(card).queryByText('Waiting for another approver')).toBeNull();
    expect((within(card).getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(false);
    expect(within(card).queryByRole('button', { name: 'Modify' })).toBeNull();
  });

  it('When this agent approves and the gateway counts the vote, then the card says it waits for another approver, Approve is off, Reject stays, and no ticket note is written yet', async () => {
    const initial = quorumApproval([]);
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({
        kind: 'decided' as const,
        approval: quorumApproval([vote(ME)], { approvalId: initial.approvalId }),
      })),
    });
    const { client } = renderWithClient(<CardHost initial={initial} />, { gateway });
    const card = screen.getByRole('article', { name: 'Refund order' });
    expect(within(card).getByText('0 of 2 approvals')).toBeTruthy();
    fireEvent.click(within(card).getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(within(card).getByText('Waiting for another approver')).toBeTruthy());
    expect(within(card).getByText('1 of 2 approvals · Ada Lovelace')).toBeTruthy();
    expect(within(card).getByRole('status').textContent).toBe('Waiting for another approver');
    expect(gateway.decide).toHaveBeenCalledWith(initial.approvalId, {
      decision: 'approve',
      agent: { id: '381', name: 'Ada Lovelace', email: 'ada@example.com' },
      channel: 'sidebar',
    });
    expect((within(card).getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(card).getByRole('button', { name: 'Reject' }) as HTMLButtonElement).disabled).toBe(false);
    expect(client.request).not.toHaveBeenCalled();
  });

  it('When the quorum is complete, then the decided card still says who approved', () => {
    const approval = quorumApproval([vote(GRACE), vote(ME)], {
      status: 'approved',
      decidedAt: new Date(NOW).toISOString(),
      decidedBy: { type: 'agent', ...ME },
    });
    renderWithClient(<CardHost initial={approval} />);
    fireEvent.click(screen.getByRole('button', { expanded: false })); // decided cards start as one line
    expect(screen.getByText('2 of 2 approvals · Grace Hopper, Ada Lovelace')).toBeTruthy();
    expect(screen.queryByText('Waiting for another approver')).toBeNull();
  });
});

import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { ApprovalCard } from '../../zendesk-app/src/app/components/ApprovalCard';
import { NOW, buildApproval, fakeGateway, renderWithClient } from './support';

const decided = (approval: ApprovalView, patch: Partial<ApprovalView>): ApprovalView => ({
  ...approval,
  status: 'approved',
  decidedAt: new Date(NOW).toISOString(),
  ...patch,
});

/** Holds the approval like the sidebar list does, so onUpdated re-renders the card. */
function CardHost({ initial, onUpdated }: { initial: ApprovalView; onUpdated: (a: ApprovalView) => void }) {
  const [approval, setApproval] = useState(initial);
  return (
    <ApprovalCard
      approval={approval}
      now={NOW}
      onUpdated={(next) => {
        onUpdated(next);
        setApproval(next);
      }}
    />
  );
}

function renderCard(approval: ApprovalView, options: Parameters<typeof renderWithClient>[1] = {}) {
  const onUpdated = vi.fn();
  const result = renderWithClient(<CardHost initial={approval} onUpdated={onUpdated} />, options);
  return { ...result, onUpdated };
}

describe('ApprovalCard', () => {
  it('When an approval is pending, then it shows the humanised action, summary, justification, details, age and expiry', () => {
    renderCard(buildApproval());
    const card = screen.getByRole('article', { name: 'Refund order' });
    expect(within(card).getByText('Refund order #1001')).toBeTruthy();
    expect(within(card).getByText('The parcel arrived late.')).toBeTruthy();
    expect(within(card).getByText('Pending')).toBeTruthy();
    expect(within(card).getByText('Order id')).toBeTruthy();
    expect(within(card).getByText('1001')).toBeTruthy();
    expect(within(card).getByText('Yes')).toBeTruthy(); // notify_customer: true
    expect(within(card).getByText('Requested 5 minutes ago')).toBeTruthy();
    expect(within(card).getByText('Expires in 2 hours')).toBeTruthy();
    expect(within(card).getByText('Risk: medium')).toBeTruthy();
    for (const name of ['Approve', 'Reject', 'Modify']) expect(within(card).getByRole('button', { name })).toBeTruthy();
  });

  it('When Reject is clicked without a note, then it asks for one and sends nothing', () => {
    const gateway = fakeGateway();
    renderCard(buildApproval(), { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.getByText('Write a note to reject.')).toBeTruthy();
    expect(gateway.decide).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByLabelText(/Decision note/));
  });

  it('When Reject is clicked with a note, then the decision carries the note and the signed-in agent', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({ kind: 'decided' as const, approval: { ...approval, status: 'rejected' as const } })),
    });
    const { onUpdated } = renderCard(approval, { gateway });
    fireEvent.change(screen.getByLabelText(/Decision note/), { target: { value: 'Outside the refund window' } });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalled());
    expect(gateway.decide).toHaveBeenCalledWith(approval.approvalId, {
      decision: 'reject',
      note: 'Outside the refund window',
      agent: { id: '381', name: 'Ada Lovelace', email: 'ada@example.com' },
    });
  });

  it('When the details are modified, then the diff shows the change and approve sends modifiedDetails', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({ kind: 'decided' as const, approval: { ...approval, status: 'approved' as const } })),
    });
    renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    const approveWithChanges = screen.getByRole('button', { name: 'Approve with changes' }) as HTMLButtonElement;
    expect(screen.getByText('No changes yet.')).toBeTruthy();
    expect(approveWithChanges.disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '25' } });
    const diff = screen.getByText('Amount', { selector: 'strong' }).closest('li') as HTMLElement;
    expect(diff.textContent).toBe('Amount: 40 → 25');
    fireEvent.change(screen.getByLabelText(/Decision note/), { target: { value: 'Half refund agreed' } });
    fireEvent.click(approveWithChanges);
    await waitFor(() => expect(gateway.decide).toHaveBeenCalled());
    expect(gateway.decide).toHaveBeenCalledWith(approval.approvalId, {
      decision: 'approve',
      note: 'Half refund agreed',
      modifiedDetails: { ...approval.details, amount: 25 },
      agent: { id: '381', name: 'Ada Lovelace', email: 'ada@example.com' },
    });
  });

  it('When a nested detail gets invalid JSON, then approving is blocked with a message', () => {
    renderCard(buildApproval());
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    fireEvent.change(screen.getByLabelText('Address'), { target: { value: '{ "city": ' } });
    expect(screen.getByText('Not valid JSON.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Approve with changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('When the policy bounds the edit, then the form enforces the limits and locks unlisted fields', () => {
    const approval = buildApproval({
      policy: {
        outcome: 'require_human',
        rule: 'refunds-need-a-person',
        dryRun: [],
        policyVersion: 3,
        editableFields: { amount: { type: 'number', min: 1, mayOnlyDecrease: true } },
      },
    });
    renderCard(approval);
    expect(screen.getByText('Policy: refunds-need-a-person')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    expect(screen.getByText('Allowed: 1 to 40')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '55' } });
    expect(screen.getByText('At most 40.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Approve with changes' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByLabelText('Order id') as HTMLInputElement).readOnly).toBe(true);
  });

  it('When someone else decided first (409), then the card shows the decided state and who decided', async () => {
    const approval = buildApproval();
    const current = decided(approval, {
      decidedBy: { type: 'agent', id: '7', name: 'Grace Hopper' },
      decisionNote: 'Done by phone',
    });
    const gateway = fakeGateway({ decide: vi.fn(async () => ({ kind: 'conflict' as const, approval: current })) });
    const { onUpdated } = renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalledWith(current));
    await screen.findByText('Approved by Grace Hopper');
    expect(screen.getByText('Already decided by Grace Hopper before your decision was saved.')).toBeTruthy();
    expect(screen.getByText('Approved by Grace Hopper')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('When an approval was decided by policy or expiry, then the card says so', () => {
    const byPolicy = decided(buildApproval(), {
      status: 'rejected',
      decidedBy: { type: 'policy', rule: 'no-deletes' },
    });
    const byExpiry = decided(buildApproval({ action: 'delete_account' }), {
      status: 'rejected',
      decidedBy: { type: 'expiry' },
    });
    renderCard(byPolicy);
    expect(screen.getByText('Rejected by policy no-deletes')).toBeTruthy();
    renderCard(byExpiry);
    expect(screen.getByText('Rejected: no decision before it expired')).toBeTruthy();
  });

  it('When an approval was approved with changes, then the card lists them', () => {
    const approval = buildApproval();
    renderCard(
      decided(approval, {
        decidedBy: { type: 'agent', id: '381', name: 'Ada Lovelace' },
        decisionNote: 'Half refund',
        modifiedDetails: { ...approval.details, amount: 20 },
      }),
    );
    expect(screen.getByText('Approved with these changes')).toBeTruthy();
    expect(screen.getByText('Half refund')).toBeTruthy();
    expect(screen.getByText('40', { selector: 'del' })).toBeTruthy();
    expect(screen.getByText('20', { selector: 'ins' })).toBeTruthy();
  });

  it('When a decision lands, then an internal note goes onto the ticket through the Zendesk API', async () => {
    const approval = buildApproval();
    const result = { ...approval, status: 'approved' as const, decisionNote: 'ok' };
    const gateway = fakeGateway({ decide: vi.fn(async () => ({ kind: 'decided' as const, approval: result })) });
    const { client } = renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(client.request).toHaveBeenCalled());
    const [options] = client.request.mock.calls[0] as [{ url: string; type: string; data: string }];
    expect(options.url).toBe('/api/v2/tickets/9921.json');
    expect(options.type).toBe('PUT');
    const body = JSON.parse(options.data) as { ticket: { comment: { body: string; public: boolean } } };
    expect(body.ticket.comment.public).toBe(false);
    expect(body.ticket.comment.body).toContain('Ada Lovelace approved “Refund order #1001”');
    expect(body.ticket.comment.body).toContain('Note: ok');
  });

  it('When the internal-note setting is off, then no Zendesk API call is made', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({ kind: 'decided' as const, approval: { ...approval, status: 'approved' as const } })),
    });
    const { client, onUpdated } = renderCard(approval, { gateway, isTicketNoteEnabled: false });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalled());
    expect(client.request).not.toHaveBeenCalled();
  });

  it('When the user reads German, then the card is in German', () => {
    renderCard(buildApproval(), { locale: 'de' });
    expect(screen.getByRole('button', { name: 'Genehmigen' })).toBeTruthy();
    expect(screen.getByText('Offen')).toBeTruthy();
  });
});

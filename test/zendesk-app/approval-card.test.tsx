import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { GatewayError } from '../../zendesk-app/src/app/api/gateway-client';
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
    expect(within(card).getByText('Support AI · 5 minutes ago')).toBeTruthy();
    expect(within(card).getByText('Expires in 2 hours')).toBeTruthy();
    expect(within(card).getByText('Risk: medium')).toBeTruthy();
    for (const name of ['Approve', 'Reject', 'Modify', 'Add note']) {
      expect(within(card).getByRole('button', { name })).toBeTruthy();
    }
    // the ticket the agent is on is not repeated, and the note field waits for Reject or "Add note"
    expect(within(card).queryByText('Ticket id')).toBeNull();
    expect(within(card).queryByRole('textbox')).toBeNull();
  });

  it('When the only detail is the ticket the agent is on, then no empty details section is shown', () => {
    const approval = buildApproval();
    renderCard({ ...approval, details: { ticket_id: approval.ticketId } });
    const card = screen.getByRole('article', { name: 'Refund order' });
    expect(within(card).queryByText('(empty)')).toBeNull();
    expect(within(card).queryByText('Details')).toBeNull();
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeTruthy();
  });

  it('When Reject is clicked, then the note opens with focus and Confirm reject without a note asks for one and sends nothing', () => {
    const gateway = fakeGateway();
    renderCard(buildApproval(), { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    const note = screen.getByLabelText(/Why reject/);
    expect(document.activeElement).toBe(note);
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Confirm reject' }));
    expect(screen.getByText('Write a note to reject.')).toBeTruthy();
    expect(gateway.decide).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(note);
  });

  it('When the reject step is cancelled, then focus returns to Reject and nothing is sent', () => {
    const gateway = fakeGateway();
    renderCard(buildApproval(), { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Reject' }));
    expect(screen.queryByLabelText(/Why reject/)).toBeNull();
    expect(gateway.decide).not.toHaveBeenCalled();
  });

  it('When Reject is clicked with a note, then the decision carries the note and the signed-in agent', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({ kind: 'decided' as const, approval: { ...approval, status: 'rejected' as const } })),
    });
    const { onUpdated } = renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    fireEvent.change(screen.getByLabelText(/Why reject/), { target: { value: 'Outside the refund window' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm reject' }));
    await waitFor(() => expect(onUpdated).toHaveBeenCalled());
    expect(gateway.decide).toHaveBeenCalledWith(approval.approvalId, {
      decision: 'reject',
      note: 'Outside the refund window',
      agent: { id: '381', name: 'Ada Lovelace', email: 'ada@example.com' },
      channel: 'sidebar',
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
      channel: 'sidebar',
    });
  });

  it('When a nested detail gets invalid JSON, then approving is blocked with a message', () => {
    renderCard(buildApproval());
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    fireEvent.change(screen.getByLabelText('Address'), { target: { value: '{ "city": ' } });
    expect(screen.getByText('Not valid JSON.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Approve with changes' }) as HTMLButtonElement).disabled).toBe(true);
  });

  /** A rule that lets the agent lower the amount and nothing else. */
  const AMOUNT_MAY_DECREASE = {
    outcome: 'require_human' as const,
    rule: 'refunds-need-a-person',
    dryRun: [],
    policyVersion: 3,
    editableFields: { amount: { type: 'number' as const, min: 1, mayOnlyDecrease: true } },
  };

  it('When the policy bounds the edit, then the form enforces the limits and locks unlisted fields', () => {
    const approval = buildApproval({
      policy: AMOUNT_MAY_DECREASE,
    });
    renderCard(approval);
    expect(screen.getByText('Needs a person (policy rule “refunds-need-a-person”)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    expect(screen.getByText('Allowed: 1 to 40')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '55' } });
    expect(screen.getByText('At most 40.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Approve with changes' }) as HTMLButtonElement).disabled).toBe(true);
    // a locked field is plain text under the lock note, not a greyed input; the ticket link is not shown at all
    expect(screen.queryByLabelText('Order id')).toBeNull();
    const locked = screen.getByTestId('locked-fields');
    expect(within(locked).getByText("Set by policy, can't be changed")).toBeTruthy();
    expect(within(locked).getByText('Order id')).toBeTruthy();
    expect(within(locked).getByText('1001')).toBeTruthy();
    expect(screen.queryByText('Ticket id')).toBeNull();
    expect(screen.queryByDisplayValue('9921')).toBeNull();
  });

  it('When the details name their currency, then Modify shows the diff and the locked values as money in it', () => {
    const approval = buildApproval({
      details: { ticket_id: '9921', order_id: '1001', amount: 40, shipping_fee: '4.50', currency: 'EUR' },
      policy: AMOUNT_MAY_DECREASE,
    });
    renderCard(approval);
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '25' } });
    const diff = screen.getByText('Amount', { selector: 'strong' }).closest('li') as HTMLElement;
    expect(diff.textContent).toBe('Amount: €40.00 → €25.00');
    const locked = screen.getByTestId('locked-fields');
    expect(within(locked).getByText('€4.50')).toBeTruthy();
  });

  it('When someone else decided first (409), then the card shows the decided state and who decided', async () => {
    const approval = buildApproval();
    const current = decided(approval, {
      decidedBy: { type: 'agent', id: '7', name: 'Grace Hopper', verified: false },
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
    renderCard(byExpiry);
    // decided approvals load as one collapsed history line each, expanded on demand
    const [policyToggle, expiryToggle] = screen.getAllByRole('button', { expanded: false });
    expect(policyToggle?.textContent).toContain('policy no-deletes');
    expect(screen.queryByText('Rejected by policy no-deletes')).toBeNull();
    fireEvent.click(policyToggle as HTMLElement);
    expect(policyToggle?.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByText('Rejected by policy no-deletes')).toBeTruthy();
    fireEvent.click(expiryToggle as HTMLElement);
    expect(screen.getByText('Rejected: no decision before it expired')).toBeTruthy();
  });

  it('When an approval was approved with changes, then its details show the approved values with the originals beside them', () => {
    const approval = buildApproval();
    renderCard(
      decided(approval, {
        decidedBy: { type: 'agent', id: '381', name: 'Ada Lovelace', verified: false },
        decisionNote: 'Half refund',
        modifiedDetails: { ...approval.details, amount: 20 },
      }),
    );
    fireEvent.click(screen.getByRole('button', { expanded: false }));
    expect(screen.getByText('Approved with these changes')).toBeTruthy();
    expect(screen.getByText('Half refund')).toBeTruthy();
    const amount = screen.getByText('Amount').nextElementSibling as HTMLElement;
    expect(within(amount).getByText('20', { selector: 'ins *' })).toBeTruthy();
    expect(within(amount).getByText('40', { selector: 'del *' })).toBeTruthy();
    expect(amount.textContent).toBe('20 was 40');
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

describe('ApprovalCard deciding, time and focus', () => {
  const decidedOk = (approval: ApprovalView) =>
    vi.fn(async () => ({ kind: 'decided' as const, approval: decided(approval, {}) }));

  it('When the risk is high, then Approve asks once inline before sending, and Cancel sends nothing', async () => {
    const approval = buildApproval({ riskLevel: 'high' });
    const gateway = fakeGateway({ decide: decidedOk(approval) });
    renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(screen.getByText('Risk high: approve this?')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Confirm approve' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(gateway.decide).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Approve' }));
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    fireEvent.click(screen.getByRole('button', { name: 'Confirm approve' }));
    await waitFor(() => expect(gateway.decide).toHaveBeenCalledTimes(1));
  });

  it('When "Add note" is used before Approve, then the optional note goes with the approval', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({ decide: decidedOk(approval) });
    renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));
    const note = screen.getByLabelText('Decision note');
    expect(document.activeElement).toBe(note);
    fireEvent.change(note, { target: { value: 'Customer is a regular' } });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(gateway.decide).toHaveBeenCalled());
    expect(gateway.decide.mock.calls[0]?.[1]).toMatchObject({ decision: 'approve', note: 'Customer is a regular' });
  });

  it('When the last minute starts, then the countdown counts seconds and is marked; at expiry every action is disabled and nothing is sent', () => {
    const approval = buildApproval({ expiresAt: new Date(NOW + 42_000).toISOString() });
    const gateway = fakeGateway();
    const { rerender } = renderWithClient(<ApprovalCard approval={approval} now={NOW} onUpdated={() => {}} />, {
      gateway,
    });
    const countdown = screen.getByText('Expires in 42 seconds');
    expect(countdown.getAttribute('data-urgency')).toBe('imminent');
    expect(countdown.previousElementSibling?.textContent).toBe('Expiring soon:');
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(false);

    rerender(<ApprovalCard approval={approval} now={NOW + 42_000} onUpdated={() => {}} />);
    expect(screen.getAllByText('Expired').length).toBeGreaterThan(0);
    for (const name of ['Approve', 'Reject', 'Modify']) {
      const button = screen.getByRole('button', { name }) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      fireEvent.click(button);
    }
    expect(gateway.decide).not.toHaveBeenCalled();
  });

  it('When an expiry is ten minutes away, then it is marked as nearing; two hours away it is not', () => {
    renderCard(buildApproval({ expiresAt: new Date(NOW + 8 * 60_000).toISOString() }));
    expect(screen.getByText('Expires in 8 minutes').getAttribute('data-urgency')).toBe('soon');
    renderCard(buildApproval());
    expect(screen.getByText('Expires in 2 hours').getAttribute('data-urgency')).toBe('calm');
  });

  it('When a decision time is a moment ahead of the clock, then it reads "now", never "in 3 seconds"', () => {
    const approval = buildApproval();
    renderCard(decided(approval, { decidedAt: new Date(NOW + 3_000).toISOString(), decidedBy: { type: 'expiry' } }));
    const toggle = screen.getByRole('button', { expanded: false });
    expect(toggle.textContent).toContain('now');
    fireEvent.click(toggle);
    expect(screen.getByText('Decided now')).toBeTruthy();
    expect(document.body.textContent).not.toContain('in 3 seconds');
  });

  it('When Modify opens, then focus is on the first editable field; Cancel returns it to Modify', () => {
    renderCard(buildApproval());
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    expect(document.activeElement).toBe(screen.getByLabelText('Order id'));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Modify' }));
  });

  it('When Enter submits the Modify form, then it approves with the changes and focus lands on the card', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({ decide: decidedOk(approval) });
    renderCard(approval, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    const amount = screen.getByLabelText('Amount');
    fireEvent.change(amount, { target: { value: '30' } });
    fireEvent.submit(amount.closest('form') as HTMLFormElement);
    await waitFor(() => expect(gateway.decide).toHaveBeenCalled());
    expect(gateway.decide.mock.calls[0]?.[1]).toMatchObject({ modifiedDetails: { amount: 30 } });
    const card = screen.getByRole('article');
    await waitFor(() => expect(document.activeElement).toBe(card));
  });

  it('When Enter submits an unchanged Modify form, then nothing is sent', () => {
    const gateway = fakeGateway();
    renderCard(buildApproval(), { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Modify' }));
    fireEvent.submit(screen.getByLabelText('Amount').closest('form') as HTMLFormElement);
    expect(gateway.decide).not.toHaveBeenCalled();
  });

  it('When a decision fails and a refresh then brings the approval again, then the stale error is gone', async () => {
    const approval = buildApproval();
    const gateway = fakeGateway({
      decide: vi.fn(async () => {
        throw new GatewayError('unreachable', 'down');
      }),
    });
    const { rerender } = renderWithClient(<ApprovalCard approval={approval} now={NOW} onUpdated={() => {}} />, {
      gateway,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('alert')).textContent).toContain("Cheqpoint can't be reached");
    rerender(<ApprovalCard approval={{ ...approval }} now={NOW} onUpdated={() => {}} />);
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('When a refresh brings the approval decided by someone else, then the card says who decided, without the 409 wording', () => {
    const approval = buildApproval();
    const { rerender } = renderWithClient(<ApprovalCard approval={approval} now={NOW} onUpdated={() => {}} />);
    const other = decided(approval, {
      status: 'rejected',
      decidedBy: { type: 'agent', id: '7', name: 'Grace Hopper', verified: false },
      decisionNote: 'Customer withdrew',
    });
    rerender(<ApprovalCard approval={other} now={NOW} onUpdated={() => {}} />);
    expect(screen.getByText('Rejected by Grace Hopper')).toBeTruthy();
    expect(screen.getByRole('button', { expanded: true })).toBeTruthy();
    expect(document.body.textContent).not.toContain('before your decision was saved');
  });

  it('When a decision lands, then keyboard focus moves to the card, not to the page', async () => {
    const approval = buildApproval();
    renderCard(approval, { gateway: fakeGateway({ decide: decidedOk(approval) }) });
    const approve = screen.getByRole('button', { name: 'Approve' });
    approve.focus();
    fireEvent.click(approve);
    const card = await screen.findByRole('article', { name: /Approved/ });
    await waitFor(() => expect(document.activeElement).toBe(card));
  });

  it('When the card is new, then it carries a "New" tag', () => {
    renderWithClient(<ApprovalCard approval={buildApproval()} now={NOW} onUpdated={() => {}} isNew />);
    expect(screen.getByText('New')).toBeTruthy();
  });

  it('When pending and decided cards render, then React reports no invalid nesting or unknown DOM props', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const approval = buildApproval({ priority: 'high' });
      renderCard(approval);
      renderCard(decided(buildApproval(), { decidedBy: { type: 'expiry' } }));
      fireEvent.click(screen.getByRole('button', { expanded: false }));
      const messages = errors.mock.calls.map((call) => call.map(String).join(' '));
      expect(messages.filter((m) => /descendant|React does not recognize|isRecessed|non-boolean/.test(m))).toEqual([]);
    } finally {
      errors.mockRestore();
    }
  });
});

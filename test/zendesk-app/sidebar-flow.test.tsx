import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import type { ApprovalPage, LiveQuery } from '../../zendesk-app/src/app/api/gateway-client';
import { ApprovalCard } from '../../zendesk-app/src/app/components/ApprovalCard';
import { LiveRegionProvider } from '../../zendesk-app/src/app/components/LiveRegion';
import { TicketSidebar } from '../../zendesk-app/src/app/locations/TicketSidebar';
import { NOW, buildApproval, fakeGateway, renderWithClient } from './support';

/** A gateway whose held calls the test answers one by one; plain lists answer at once with the current list. */
function liveGateway(initial: ApprovalView[], decide = vi.fn()) {
  let current = initial;
  let seq = 1;
  const held: { resolve: (page: ApprovalPage) => void }[] = [];
  const pageForTicket = vi.fn((_ticketId: string, live?: LiveQuery) => {
    if (!live) return Promise.resolve({ approvals: current, cursor: String(seq) });
    return new Promise<ApprovalPage>((resolve) => held.push({ resolve }));
  });
  return {
    gateway: fakeGateway({ pageForTicket, decide }),
    held,
    answer(approvals: ApprovalView[]) {
      current = approvals;
      held.shift()?.resolve({ approvals, cursor: String(++seq) });
    },
  };
}

const cardIds = () => screen.getAllByRole('article').map((card) => card.getAttribute('data-approval-id'));
const liveText = () => screen.getByTestId('live-region').textContent;

describe('Sidebar flow: the note', () => {
  it('When "Add note" is opened, then Cancel closes it empty and focus returns to "Add note"; nothing is sent', async () => {
    const gateway = fakeGateway();
    renderWithClient(<ApprovalCard approval={buildApproval()} now={NOW} onUpdated={() => {}} />, { gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));
    const note = screen.getByLabelText(/Decision note/);
    expect(document.activeElement).toBe(note);
    fireEvent.change(note, { target: { value: 'half of it' } });
    fireEvent.click(screen.getByRole('button', { name: 'Cancel note' }));
    expect(screen.queryByRole('textbox')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Add note' })));
    // opened again, it is empty: the cancelled note is gone
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));
    expect((screen.getByLabelText(/Decision note/) as HTMLTextAreaElement).value).toBe('');
    expect(gateway.decide).not.toHaveBeenCalled();
  });

  it('When Escape is pressed in the optional note, then it closes and focus returns to "Add note"', async () => {
    renderWithClient(<ApprovalCard approval={buildApproval()} now={NOW} onUpdated={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }));
    fireEvent.keyDown(screen.getByLabelText(/Decision note/), { key: 'Escape' });
    expect(screen.queryByRole('textbox')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Add note' })));
  });

  it('When Escape is pressed in the reject note, then the reject step closes and focus returns to Reject', async () => {
    renderWithClient(<ApprovalCard approval={buildApproval()} now={NOW} onUpdated={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }));
    fireEvent.keyDown(screen.getByLabelText(/Why reject/), { key: 'Escape' });
    expect(screen.queryByRole('button', { name: 'Confirm reject' })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Reject' })));
  });
});

describe('Sidebar flow: arrivals and decisions in place', () => {
  it('When an approval arrives, then it shows on top (above older pending ones), tagged New and named in the live region', async () => {
    const soon = buildApproval({ summary: 'Refund order #1', expiresAt: new Date(Date.now() + 600_000).toISOString() });
    const later = buildApproval({
      summary: 'Refund order #2',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    const live = liveGateway([later, soon]);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    await waitFor(() => expect(cardIds()).toEqual([soon.approvalId, later.approvalId]));
    await waitFor(() => expect(live.held).toHaveLength(1));

    // it expires last, so by expiry it would go below both, out of sight
    const arrived = buildApproval({
      action: 'cancel_subscription',
      summary: 'Cancel the Pro plan',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await act(async () => live.answer([later, soon, arrived]));
    await waitFor(() => expect(cardIds()).toEqual([arrived.approvalId, soon.approvalId, later.approvalId]));
    const card = screen.getByRole('article', { name: 'Cancel subscription' });
    expect(within(card).getByText('New')).toBeTruthy();
    expect(liveText()).toBe('New approval: Cancel subscription (Cancel the Pro plan)');
  });

  it('When the agent decides a card above another pending one, then it stays in place, folded, and focus moves to the next pending card', async () => {
    const first = buildApproval({
      summary: 'Refund order #1',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    const second = buildApproval({
      action: 'cancel_subscription',
      summary: 'Cancel the Pro plan',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    const decide = vi.fn(async () => ({
      kind: 'decided' as const,
      approval: {
        ...first,
        status: 'approved' as const,
        decidedAt: new Date().toISOString(),
        decidedBy: { type: 'agent' as const, id: '381', name: 'Ada Lovelace', verified: false },
      },
    }));
    const live = liveGateway([first, second], decide);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    const card = await screen.findByRole('article', { name: 'Refund order' });
    fireEvent.click(within(card).getByRole('button', { name: 'Approve' }));

    await waitFor(() => expect(card.getAttribute('data-status')).toBe('approved'));
    // where it was (not below the pending one), folded to its history line
    expect(cardIds()).toEqual([first.approvalId, second.approvalId]);
    expect(card.getAttribute('data-expanded')).toBe('false');
    expect(within(card).getByRole('button', { expanded: false })).toBeTruthy();
    const next = screen.getByRole('article', { name: 'Cancel subscription' });
    await waitFor(() => expect(document.activeElement).toBe(next));
    expect(liveText()).toBe('Refund order (Refund order #1): Approved by Ada Lovelace');
  });

  it('When the agent decides the last pending card, then focus goes to its history line', async () => {
    const only = buildApproval({ expiresAt: new Date(Date.now() + 600_000).toISOString() });
    const decide = vi.fn(async () => ({
      kind: 'decided' as const,
      approval: { ...only, status: 'rejected' as const, decidedAt: new Date().toISOString(), decisionNote: 'no' },
    }));
    const live = liveGateway([only], decide);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    const card = await screen.findByRole('article', { name: 'Refund order' });
    fireEvent.click(within(card).getByRole('button', { name: 'Reject' }));
    fireEvent.change(screen.getByLabelText(/Why reject/), { target: { value: 'no' } });
    fireEvent.click(screen.getByRole('button', { name: 'Confirm reject' }));
    const toggle = await within(card).findByRole('button', { expanded: false });
    await waitFor(() => expect(document.activeElement).toBe(toggle));
  });

  it('When a refresh brings a decision by someone else, then the card folds in place and the live region names it and who decided', async () => {
    const first = buildApproval({
      summary: 'Refund order #1',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    const second = buildApproval({
      summary: 'Refund order #2',
      expiresAt: new Date(Date.now() + 7_200_000).toISOString(),
    });
    const live = liveGateway([first, second]);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    await waitFor(() => expect(cardIds()).toEqual([first.approvalId, second.approvalId]));
    await waitFor(() => expect(live.held).toHaveLength(1));
    const byGrace = {
      ...first,
      status: 'rejected' as const,
      decidedAt: new Date().toISOString(),
      decidedBy: { type: 'agent' as const, id: '7', name: 'Grace Hopper', verified: false },
    };
    await act(async () => live.answer([byGrace, second]));
    await waitFor(() => expect(liveText()).toBe('Refund order (Refund order #1): Rejected by Grace Hopper'));
    expect(cardIds()).toEqual([first.approvalId, second.approvalId]);
    const card = document.querySelector(`[data-approval-id="${first.approvalId}"]`) as HTMLElement;
    expect(card.getAttribute('data-expanded')).toBe('false');
  });
});

describe('Sidebar flow: the live region', () => {
  it('When a pending approval expires on screen, then the live region names it and says it expired', () => {
    const approval = buildApproval({ expiresAt: new Date(NOW + 1_000).toISOString() });
    const { rerender } = renderWithClient(
      <LiveRegionProvider>
        <ApprovalCard approval={approval} now={NOW} onUpdated={() => {}} />
      </LiveRegionProvider>,
    );
    expect(liveText()).toBe('');
    rerender(
      <LiveRegionProvider>
        <ApprovalCard approval={approval} now={NOW + 2_000} onUpdated={() => {}} />
      </LiveRegionProvider>,
    );
    expect(liveText()).toBe('Refund order (Refund order #1001): expired, it can no longer be decided');
  });

  it('When two approvals are decided by one refresh, then the live region says both', async () => {
    const first = buildApproval({ summary: 'Refund order #1' });
    const second = buildApproval({ summary: 'Refund order #2' });
    const live = liveGateway([first, second]);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    await waitFor(() => expect(live.held).toHaveLength(1));
    const byPolicy = { type: 'policy' as const, rule: 'small-refunds' };
    const decidedAt = new Date().toISOString();
    await act(async () =>
      live.answer([
        { ...first, status: 'approved', decidedAt, decidedBy: byPolicy },
        { ...second, status: 'approved', decidedAt, decidedBy: byPolicy },
      ]),
    );
    await waitFor(() =>
      expect(liveText()).toBe(
        'Refund order (Refund order #1): Approved by policy small-refunds; ' +
          'Refund order (Refund order #2): Approved by policy small-refunds',
      ),
    );
  });
});

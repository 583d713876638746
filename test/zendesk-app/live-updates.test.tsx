import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { GatewayError, type ApprovalPage, type LiveQuery } from '../../zendesk-app/src/app/api/gateway-client';
import { CHANGED_NOTIFICATION, LIVE_WAIT_SECONDS } from '../../zendesk-app/src/app/hooks/useApprovals';
import { TicketSidebar } from '../../zendesk-app/src/app/locations/TicketSidebar';
import { buildApproval, fakeClient, fakeGateway, renderWithClient } from './support';

/** A gateway whose held calls the test answers (or fails) one by one; plain lists answer at once. */
function liveGateway(initial: ApprovalView[]) {
  let current = initial;
  let seq = 1;
  const held: { live: LiveQuery; resolve: (page: ApprovalPage) => void; reject: (err: unknown) => void }[] = [];
  const pageForTicket = vi.fn((_ticketId: string, live?: LiveQuery) => {
    if (!live) return Promise.resolve({ approvals: current, cursor: String(seq) });
    return new Promise<ApprovalPage>((resolve, reject) => held.push({ live, resolve, reject }));
  });
  return {
    gateway: fakeGateway({ pageForTicket }),
    pageForTicket,
    held,
    /** Answers the oldest held call with this list (a change happened). */
    answer(approvals: ApprovalView[]) {
      current = approvals;
      held.shift()?.resolve({ approvals, cursor: String(++seq) });
    },
    fail() {
      held.shift()?.reject(new GatewayError('unreachable', 'down'));
    },
    plainCalls: () => pageForTicket.mock.calls.filter(([, live]) => !live).length,
  };
}

describe('Live updates (useApprovals in the sidebar)', () => {
  it('When a held call answers with a new approval, then its card shows marked New, is announced once, and the next call holds from the new cursor', async () => {
    const first = buildApproval();
    const live = liveGateway([first]);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    await screen.findByRole('article', { name: 'Refund order' });
    await waitFor(() => expect(live.held).toHaveLength(1));
    expect(live.held[0]?.live).toEqual({ since: '1', waitSeconds: LIVE_WAIT_SECONDS });
    // Nothing is new in the first list.
    expect(screen.queryByText('New')).toBeNull();

    const second = buildApproval({ action: 'cancel_subscription', summary: 'Cancel plan' });
    await act(async () => live.answer([first, second]));
    const card = await screen.findByRole('article', { name: 'Cancel subscription' });
    expect(card.textContent).toContain('New');
    expect(screen.getAllByText('New')).toHaveLength(1);
    // the live region names which approval arrived, not only how many
    expect(screen.getByTestId('live-region').textContent).toBe('New approval: Cancel subscription (Cancel plan)');
    await waitFor(() => expect(live.held).toHaveLength(1), { timeout: 3_000 });
    expect(live.held[0]?.live.since).toBe('2');

    // The agent touches the card: it is no longer new.
    fireEvent.pointerDown(card);
    await waitFor(() => expect(screen.queryByText('New')).toBeNull());
  });

  it('When the app is deactivated, then the late answer of its held call is ignored and no call follows; activated, it lists and holds again', async () => {
    const client = fakeClient();
    const live = liveGateway([]);
    renderWithClient(<TicketSidebar />, { client, gateway: live.gateway });
    await waitFor(() => expect(live.held).toHaveLength(1));
    await act(async () => client.emit('app.deactivated'));
    await act(async () => live.answer([buildApproval()]));
    await new Promise((r) => setTimeout(r, 1_200));
    expect(screen.queryByRole('article')).toBeNull();
    expect(live.held).toHaveLength(0);
    const plain = live.plainCalls();
    await act(async () => client.emit('app.activated'));
    await waitFor(() => expect(live.held).toHaveLength(1));
    expect(live.plainCalls()).toBe(plain + 1);
    expect(await screen.findByRole('article', { name: 'Refund order' })).toBeTruthy();
  });

  it("When the gateway notifies a change of this ticket, then the sidebar lists at once; another ticket's change is ignored", async () => {
    const client = fakeClient();
    const live = liveGateway([]);
    renderWithClient(<TicketSidebar />, { client, gateway: live.gateway });
    await waitFor(() => expect(live.held).toHaveLength(1));
    const plain = live.plainCalls();
    await act(async () => client.emit(CHANGED_NOTIFICATION, { body: { ticketId: '1', change: 'created' } }));
    expect(live.plainCalls()).toBe(plain);
    await act(async () => client.emit(CHANGED_NOTIFICATION, { body: { ticketId: 9921, change: 'created' } }));
    expect(live.plainCalls()).toBe(plain + 1);
  });

  it('When a held call fails, then no error shows; after a pause a plain list runs, and held calls resume once it succeeds', async () => {
    const live = liveGateway([buildApproval()]);
    renderWithClient(<TicketSidebar />, { gateway: live.gateway });
    await screen.findByRole('article', { name: 'Refund order' });
    await waitFor(() => expect(live.held).toHaveLength(1));
    const plain = live.plainCalls();
    await act(async () => live.fail());
    expect(screen.queryByRole('alert')).toBeNull();
    expect(live.plainCalls()).toBe(plain);
    await waitFor(() => expect(live.plainCalls()).toBe(plain + 1), { timeout: 4_000 });
    await waitFor(() => expect(live.held).toHaveLength(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

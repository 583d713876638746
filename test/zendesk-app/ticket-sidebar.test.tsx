import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../zendesk-app/src/app/api/gateway-client';
import { POLL_INTERVAL_MS } from '../../zendesk-app/src/app/hooks/useApprovals';
import { TicketSidebar } from '../../zendesk-app/src/app/locations/TicketSidebar';
import { buildApproval, fakeClient, fakeGateway, renderWithClient } from './support';

afterEach(() => vi.useRealTimers());

describe('TicketSidebar', () => {
  it('When approvals are loading, then skeletons show, then the cards', async () => {
    let resolve: (value: ReturnType<typeof buildApproval>[]) => void = () => {};
    const listForTicket = vi.fn(() => new Promise<ReturnType<typeof buildApproval>[]>((r) => (resolve = r)));
    const gateway = fakeGateway({ listForTicket });
    renderWithClient(<TicketSidebar />, { gateway });
    expect(screen.getByTestId('card-skeleton')).toBeTruthy();
    expect(screen.getByText('Loading approvals…')).toBeTruthy();
    await act(async () => resolve([buildApproval()]));
    expect(screen.getByRole('article', { name: 'Refund order' })).toBeTruthy();
    expect(screen.queryByTestId('card-skeleton')).toBeNull();
    expect(gateway.listForTicket).toHaveBeenCalledWith('9921');
  });

  it('When the ticket has no approvals, then the empty state says what will appear', async () => {
    renderWithClient(<TicketSidebar />);
    expect(await screen.findByText('No approvals for this ticket')).toBeTruthy();
    expect(screen.getByText(/When an AI agent asks to do something for this customer/)).toBeTruthy();
  });

  it('When the key is refused, then a retryable error explains it', async () => {
    const listForTicket = vi
      .fn()
      .mockRejectedValueOnce(new GatewayError('unauthorized', 'no', 401))
      .mockResolvedValueOnce([buildApproval()]);
    renderWithClient(<TicketSidebar />, { gateway: fakeGateway({ listForTicket }) });
    expect(await screen.findByText('The agent key was refused')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('article', { name: 'Refund order' })).toBeTruthy();
  });

  it('When the gateway is unreachable, then the error says so', async () => {
    const listForTicket = vi.fn().mockRejectedValue(new GatewayError('unreachable', 'down'));
    renderWithClient(<TicketSidebar />, { gateway: fakeGateway({ listForTicket }) });
    expect(await screen.findByText("Cheqpoint can't be reached")).toBeTruthy();
    // agents cannot open the app settings: the advice is one they can follow
    expect(screen.getByText('Try again; if it keeps failing, tell your Zendesk admin.')).toBeTruthy();
    expect(document.body.textContent).not.toContain('app settings');
  });

  it('When approvals load, then there is one hidden h1 naming the ticket, one live region, and pending cards come before the history', async () => {
    const old = buildApproval({
      status: 'approved',
      decidedBy: { type: 'agent', id: '7', name: 'Grace Hopper', verified: false },
      decidedAt: new Date().toISOString(),
    });
    const waiting = buildApproval();
    renderWithClient(<TicketSidebar />, { gateway: fakeGateway({ listForTicket: vi.fn(async () => [old, waiting]) }) });
    await screen.findAllByRole('article');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Cheqpoint approvals for ticket #9921');
    expect(screen.getAllByRole('status')).toHaveLength(1);
    expect(screen.getByRole('status').querySelector('[role=alert],[role=status]')).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('Pending approvals: 1');
    const ids = screen.getAllByRole('article').map((el) => el.getAttribute('data-approval-id'));
    expect(ids).toEqual([waiting.approvalId, old.approvalId]);
  });

  it('When the app is activated, a ticket event fires or the poll ticks, then it re-fetches; deactivated pauses the poll', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const client = fakeClient();
    const gateway = fakeGateway({ listForTicket: vi.fn(async () => [buildApproval()]) });
    const { unmount } = renderWithClient(<TicketSidebar />, { client, gateway });
    await waitFor(() => expect(gateway.listForTicket).toHaveBeenCalledTimes(1));
    await act(async () => client.emit('app.activated'));
    await act(async () => client.emit('ticket.updated'));
    expect(gateway.listForTicket).toHaveBeenCalledTimes(3);
    await act(async () => vi.advanceTimersByTime(POLL_INTERVAL_MS));
    expect(gateway.listForTicket).toHaveBeenCalledTimes(4);
    await act(async () => client.emit('app.deactivated'));
    await act(async () => vi.advanceTimersByTime(POLL_INTERVAL_MS * 3));
    expect(gateway.listForTicket).toHaveBeenCalledTimes(4);
    unmount();
    expect(client.handlers.get('app.activated')?.size ?? 0).toBe(0);
    expect(client.handlers.get('ticket.updated')?.size ?? 0).toBe(0);
  });
});

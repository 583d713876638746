import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionState, OutcomePlan } from '@cheqpoint/shared';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { AGENT_KEY_PLACEHOLDER, createGatewayClient } from '../../zendesk-app/src/app/api/gateway-client';
import { ApprovalCard } from '../../zendesk-app/src/app/components/ApprovalCard';
import { LiveRegionProvider } from '../../zendesk-app/src/app/components/LiveRegion';
import { NOW, buildApproval, fakeClient, fakeGateway, renderWithClient } from './support';

const BILLING = { method: 'POST' as const, host: 'billing.example.com', name: 'Billing' };

const plan = (patch: Partial<OutcomePlan> = {}): OutcomePlan => ({
  when: 'late',
  execute: BILLING,
  reply: { approved: true, rejected: true },
  ...patch,
});

const execution = (patch: Partial<ExecutionState> = {}): ExecutionState => ({
  status: 'succeeded',
  ...BILLING,
  attempts: 1,
  lastStatus: 200,
  lastError: null,
  at: new Date(NOW).toISOString(),
  nextAttemptAt: null,
  ...patch,
});

/** A cancellation approved late by Ada: what Cheqpoint did about it is `patch`. */
const approvedLate = (patch: Partial<ApprovalView> = {}): ApprovalView =>
  buildApproval({
    action: 'cancel_subscription',
    summary: 'Cancel subscription sub_5521',
    details: { ticket_id: '9921', subscription_id: 'sub_5521' },
    status: 'approved',
    decidedAt: new Date(NOW - 60_000).toISOString(),
    decidedBy: { type: 'agent', id: '381', name: 'Ada Lovelace', verified: true },
    outcomePlan: plan(),
    ...patch,
  });

/**
 * Holds the approval like the lists do, so onUpdated re-renders the card; `collapses` as in the sidebar;
 * `refresh` hands the test the list's setter (a refresh bringing a fresher approval).
 */
function CardHost(props: {
  initial: ApprovalView;
  collapses?: boolean;
  onUpdated?: (a: ApprovalView) => void;
  refresh?: (set: (a: ApprovalView) => void) => void;
}) {
  const [approval, setApproval] = useState(props.initial);
  props.refresh?.(setApproval);
  return (
    <LiveRegionProvider>
      <ApprovalCard
        approval={approval}
        now={NOW}
        collapsesWhenDecided={props.collapses ?? false}
        onUpdated={(next) => {
          props.onUpdated?.(next);
          setApproval(next);
        }}
      />
    </LiveRegionProvider>
  );
}

const planText = () =>
  within(screen.getByTestId('outcome-plan'))
    .getAllByRole('listitem')
    .map((li) => li.textContent);
/** The status lines (the outcome, then the last error if any), without the notices under them. */
const statusText = () =>
  within(screen.getByTestId('execution-status'))
    .getAllByRole('listitem')
    .map((li) => li.textContent)
    .join(' | ');
/** Opens a decided card's history line (a decided card starts folded unless under way or failed). */
const expand = () => fireEvent.click(screen.getByRole('button', { expanded: false }));

describe('Card: what will happen, before deciding', () => {
  it('When the action sends a request late and replies either way, then the card says both outcomes and that it waits for the AI agent to stop waiting', () => {
    renderWithClient(<CardHost initial={buildApproval({ action: 'cancel_subscription', outcomePlan: plan() })} />);
    expect(planText()).toEqual([
      'Approving will send “Cancel subscription” to Billing and reply to the customer.',
      'Rejecting will reply to the customer.',
      'Only if the AI agent is no longer waiting for the decision; otherwise it acts itself.',
    ]);
    // the exact request's method and host, for whoever wants to know where it goes
    expect(screen.getByTestId('outcome-plan').getAttribute('title')).toBe('POST billing.example.com');
  });

  it.each([
    [
      'a request on every approval, no reply',
      plan({ when: 'always', reply: { approved: false, rejected: false } }),
      ['Approving will send “Cancel subscription” to Billing.'],
    ],
    [
      'a reply only, on approval',
      plan({ when: 'always', execute: null, reply: { approved: true, rejected: false } }),
      ['Approving will reply to the customer.'],
    ],
    [
      'a reply only, on rejection, late',
      plan({ execute: null, reply: { approved: false, rejected: true } }),
      [
        'Rejecting will reply to the customer.',
        'Only if the AI agent is no longer waiting for the decision; otherwise it acts itself.',
      ],
    ],
  ])('When the plan is %s, then the card says exactly that', (_, outcomePlan, lines) => {
    renderWithClient(<CardHost initial={buildApproval({ action: 'cancel_subscription', outcomePlan })} />);
    expect(planText()).toEqual(lines);
  });

  it('When the action has no plan, then the card says nothing about it', () => {
    renderWithClient(<CardHost initial={buildApproval()} />);
    expect(screen.queryByTestId('outcome-plan')).toBeNull();
  });

  it('When the agent reads German, then the plan is in German', () => {
    renderWithClient(<CardHost initial={buildApproval({ action: 'cancel_subscription', outcomePlan: plan() })} />, {
      locale: 'de',
    });
    expect(planText()).toEqual([
      'Genehmigen sendet „Cancel subscription“ an Billing und antwortet dem Kunden.',
      'Ablehnen antwortet dem Kunden.',
      'Nur wenn der KI-Agent nicht mehr auf die Entscheidung wartet; sonst handelt er selbst.',
    ]);
  });

  it('When the card is decided, then the plan gives way to what happened', () => {
    renderWithClient(<CardHost initial={approvedLate({ execution: execution() })} />);
    expand();
    expect(screen.queryByTestId('outcome-plan')).toBeNull();
    expect(screen.getByTestId('execution-status')).toBeTruthy();
  });
});

describe('Card: what happened, after deciding', () => {
  it('When the request succeeded and the reply was added, then the card says Done with the answer and the reply', () => {
    renderWithClient(
      <CardHost initial={approvedLate({ execution: execution(), customerReply: { status: 'added', at: null } })} />,
    );
    expand();
    expect(statusText()).toBe('Done: Billing answered 200 · replied to the customer');
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('When the request is waiting for its second attempt, then the card says sending, the attempt and when', () => {
    const due = new Date(2026, 2, 1, 14, 5); // local time, as the agent's clock shows it
    const pending = execution({
      status: 'pending',
      attempts: 1,
      lastStatus: 503,
      lastError: 'HTTP 503',
      nextAttemptAt: due.toISOString(),
    });
    renderWithClient(
      <CardHost initial={approvedLate({ execution: pending, customerReply: { status: 'pending', at: null } })} />,
    );
    const time = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit' }).format(due);
    expect(statusText()).toContain(`Billing: sending…, attempt 2 at ${time} · reply to the customer pending`);
    expect(statusText()).toContain('HTTP 503');
  });

  it('When the first attempt is under way, then the card says sending without an attempt number', () => {
    renderWithClient(
      <CardHost
        initial={approvedLate({ execution: execution({ status: 'pending', attempts: 0, lastStatus: null }) })}
      />,
    );
    expect(statusText()).toBe('Billing: sending…');
  });

  it('When the request failed with a 422, then the card says so with the error and a Retry button', () => {
    const failed = execution({
      status: 'failed',
      lastStatus: 422,
      lastError: 'HTTP 422: subscription already cancelled',
    });
    renderWithClient(
      <CardHost initial={approvedLate({ execution: failed, customerReply: { status: 'pending', at: null } })} />,
    );
    expect(statusText()).toContain('Not done: Billing answered 422 · reply to the customer pending');
    expect(statusText()).toContain('HTTP 422: subscription already cancelled');
    const retry = screen.getByRole('button', { name: 'Retry' });
    expect(retry.tagName).toBe('BUTTON');
    // a screen reader hears what it retries
    expect(document.getElementById(retry.getAttribute('aria-describedby') ?? '')?.textContent).toContain('Not done');
  });

  it('When a template had no value, then the failure says which, without a status', () => {
    const failed = execution({
      status: 'failed',
      attempts: 0,
      lastStatus: null,
      lastError: 'details.effective_at has no value',
    });
    renderWithClient(<CardHost initial={approvedLate({ execution: failed })} />);
    expect(statusText()).toContain('Not done in Billing');
    expect(statusText()).toContain('details.effective_at has no value');
  });

  it('When the AI agent had the decision in time (when: late), then one short line says nothing was sent', () => {
    renderWithClient(
      <CardHost
        initial={approvedLate({ execution: execution({ status: 'skipped', attempts: 0, lastStatus: null }) })}
      />,
    );
    expand();
    expect(statusText()).toBe('Not sent to Billing: the AI agent had the decision in time');
  });

  it('When only a reply is configured, then the line starts with it', () => {
    renderWithClient(
      <CardHost initial={approvedLate({ execution: null, customerReply: { status: 'added', at: null } })} />,
    );
    expand();
    expect(statusText()).toBe('Replied to the customer');
  });

  it('When nothing is carried out (no plan, or nothing due), then the decided card says nothing about it', () => {
    renderWithClient(<CardHost initial={approvedLate({ outcomePlan: null })} />);
    expand();
    expect(screen.getByTestId('decision-summary')).toBeTruthy();
    expect(screen.queryByTestId('execution-status')).toBeNull();
  });

  it('When the agent reads German, then done, pending and failed are in German', () => {
    const { unmount } = renderWithClient(
      <CardHost initial={approvedLate({ execution: execution(), customerReply: { status: 'added', at: null } })} />,
      { locale: 'de' },
    );
    expand();
    expect(statusText()).toBe('Erledigt: Billing antwortete 200 · dem Kunden geantwortet');
    unmount();
    const failed = execution({ status: 'failed', lastStatus: 500, lastError: 'HTTP 500' });
    renderWithClient(<CardHost initial={approvedLate({ execution: failed })} />, { locale: 'de' });
    expect(statusText()).toContain('Nicht erledigt: Billing antwortete 500');
    expect(screen.getByRole('button', { name: 'Erneut senden' })).toBeTruthy();
  });
});

describe('Card: Retry and the sidebar', () => {
  it('When Retry is clicked, then the retry endpoint is called through the proxy with the agent key placeholder, the card shows sending and focus is on that line', async () => {
    const failed = approvedLate({ execution: execution({ status: 'failed', lastStatus: 500, lastError: 'HTTP 500' }) });
    const client = fakeClient();
    const retried = {
      ...failed,
      execution: execution({ status: 'pending', attempts: 0, lastStatus: null, lastError: null }),
    };
    client.request.mockResolvedValue(retried);
    const gateway = createGatewayClient(client, 'https://gw.example.com');
    const onUpdated = vi.fn();
    renderWithClient(<CardHost initial={failed} onUpdated={onUpdated} />, { client, gateway });
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(statusText()).toBe('Billing: sending…'));
    expect(client.request).toHaveBeenCalledWith(
      expect.objectContaining({
        url: `https://gw.example.com/api/agent/approvals/${failed.approvalId}/execution/retry`,
        type: 'POST',
        secure: true,
        cors: false,
        headers: expect.objectContaining({ 'x-api-key': AGENT_KEY_PLACEHOLDER }),
      }),
    );
    expect(onUpdated).toHaveBeenCalledWith(expect.objectContaining({ execution: retried.execution }));
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    await waitFor(() => expect(document.activeElement?.textContent).toBe('Billing: sending…'));
    // the live region says what changed, naming the approval
    expect(screen.getByTestId('live-region').textContent).toBe(
      'Cancel subscription (Cancel subscription sub_5521): Billing: sending…',
    );
  });

  it('When someone retried first (409 with the current approval), then the card takes it and says so', async () => {
    const failed = approvedLate({ execution: execution({ status: 'failed', lastStatus: 500 }) });
    const current = { ...failed, execution: execution() };
    const client = fakeClient();
    client.request.mockRejectedValue({
      status: 409,
      responseJSON: {
        type: 'x',
        title: 'Not failed',
        status: 409,
        detail: 'The execution is not failed',
        approval: current,
      },
    });
    renderWithClient(<CardHost initial={failed} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByText('Not retried: it is no longer failed (someone retried it already).');
    expect(statusText()).toBe('Done: Billing answered 200');
  });

  it('When the 409 carries no approval, then the card says so and keeps what it showed', async () => {
    const failed = approvedLate({ execution: execution({ status: 'failed', lastStatus: 500 }) });
    const client = fakeClient();
    client.request.mockRejectedValue({
      status: 409,
      responseJSON: { type: 'x', title: 't', status: 409, detail: 'd' },
    });
    renderWithClient(<CardHost initial={failed} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByText('Not retried: it is no longer failed (someone retried it already).');
    expect(statusText()).toContain('Not done: Billing answered 500');
  });

  it('When the retry call fails, then an error says why and Retry stays', async () => {
    const failed = approvedLate({ execution: execution({ status: 'failed', lastStatus: 500 }) });
    const client = fakeClient();
    client.request.mockRejectedValue({ status: 0 });
    renderWithClient(<CardHost initial={failed} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
    });
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^The retry was not sent: /);
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('When a decided card in the sidebar has a failed execution, then it is open with Retry; a done one is folded', () => {
    const failed = approvedLate({ execution: execution({ status: 'failed', lastStatus: 500 }) });
    const { unmount } = renderWithClient(<CardHost initial={failed} collapses />);
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
    unmount();
    renderWithClient(<CardHost initial={approvedLate({ execution: execution() })} collapses />);
    expect(screen.queryByTestId('execution-status')).toBeNull();
  });

  it('When the agent approves late in the sidebar, then the card stays open showing the request under way, then Done as the refresh brings it', async () => {
    const pending = buildApproval({
      action: 'cancel_subscription',
      summary: 'Cancel subscription sub_5521',
      outcomePlan: plan(),
    });
    const sent = approvedLate({
      approvalId: pending.approvalId,
      execution: execution({ status: 'pending', attempts: 0, lastStatus: null }),
      customerReply: { status: 'pending', at: null },
    });
    const gateway = fakeGateway({ decide: vi.fn(async () => ({ kind: 'decided' as const, approval: sent })) });
    let refresh: (a: ApprovalView) => void = () => undefined;
    renderWithClient(<CardHost initial={pending} collapses refresh={(set) => (refresh = set)} />, {
      gateway,
      isTicketNoteEnabled: false,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(statusText()).toBe('Billing: sending… · reply to the customer pending'));
    // the list's next refresh brings it done
    act(() => refresh({ ...sent, execution: execution(), customerReply: { status: 'added', at: null } }));
    // (joined to the decision's own announcement when both come before the region re-rendered)
    expect(screen.getByTestId('live-region').textContent).toContain(
      'Cancel subscription (Cancel subscription sub_5521): Done: Billing answered 200 · replied to the customer',
    );
    expect(statusText()).toBe('Done: Billing answered 200 · replied to the customer');
  });
});

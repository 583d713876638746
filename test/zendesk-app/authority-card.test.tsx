import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { describeDeciders, type Approval, type Deciders, type Escalation } from '@cheqpoint/shared';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { createGatewayClient } from '../../zendesk-app/src/app/api/gateway-client';
import { ApprovalCard } from '../../zendesk-app/src/app/components/ApprovalCard';
import { ClientProvider, type ICurrentUser } from '../../zendesk-app/src/app/contexts/ClientProvider';
import { useClient } from '../../zendesk-app/src/app/hooks/useClient';
import { deadlinesOf } from '../../zendesk-app/src/app/hooks/useNow';
import { requirementText } from '../../zendesk-app/src/app/lib/authority';
import { createTranslator } from '../../zendesk-app/src/app/lib/i18n';
import { Queue } from '../../zendesk-app/src/app/locations/Queue';
import { NOW, buildApproval, fakeClient, fakeGateway, renderWithClient } from './support';

const LEADS: Deciders = { groups: ['Team leads'] };

/** A pending approval whose rule asks for `deciders`, optionally escalating `escalatesInMs` after NOW. */
function guarded(
  deciders: Deciders,
  escalation?: Escalation,
  escalatesInMs?: number,
  overrides: Partial<Approval> = {},
) {
  return buildApproval({
    riskLevel: 'low',
    policy: {
      outcome: 'require_human',
      rule: 'big-refunds',
      dryRun: [],
      policyVersion: 1,
      deciders,
      ...(escalation ? { escalation } : {}),
      editableFields: null,
    },
    escalatesAt: escalatesInMs === undefined ? null : new Date(NOW + escalatesInMs).toISOString(),
    ...overrides,
  });
}

function CardHost({ initial, now = NOW }: { initial: ApprovalView; now?: number }) {
  const [approval, setApproval] = useState(initial);
  return <ApprovalCard approval={approval} now={now} onUpdated={setApproval} />;
}

const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;
const decideButtons = () => ['Approve', 'Reject', 'Modify'].map(button);

describe('ApprovalCard with approval authority', () => {
  it('When the agent is neither in the groups nor of the roles, then the requirement shows and Approve, Reject, Modify are off and described by it', () => {
    renderWithClient(<CardHost initial={guarded({ roles: ['admin'], groups: ['Team leads'] })} />, {
      currentUser: { role: 'agent', groups: ['Support'] },
    });
    const line = screen.getByText('Needs an admin or a member of Team leads');
    for (const decide of decideButtons()) {
      expect(decide.disabled).toBe(true);
      expect(decide.getAttribute('aria-describedby')).toBe(line.id);
    }
    expect(button('Add note').disabled).toBe(true);
  });

  it('When the rule gives a label, then the card shows the label verbatim', () => {
    renderWithClient(
      <CardHost initial={guarded({ groups: ['Team leads'], label: 'Needs a team lead (ask #leads)' })} />,
    );
    expect(screen.getByText('Needs a team lead (ask #leads)')).toBeTruthy();
    expect(screen.queryByText('Needs a member of Team leads')).toBeNull();
    expect(button('Approve').disabled).toBe(true);
  });

  it('When the agent is in one of the groups (in another case), then no requirement shows and the decisions work', async () => {
    const initial = guarded(LEADS);
    const gateway = fakeGateway({
      decide: vi.fn(async () => ({
        kind: 'decided' as const,
        approval: { ...initial, status: 'approved' as const, decidedAt: new Date(NOW).toISOString() },
      })),
    });
    renderWithClient(<CardHost initial={initial} />, {
      gateway,
      isTicketNoteEnabled: false,
      currentUser: { role: 'agent', groups: ['Support', 'team LEADS'] },
    });
    expect(screen.queryByText('Needs a member of Team leads')).toBeNull();
    for (const decide of decideButtons()) {
      expect(decide.disabled).toBe(false);
      expect(decide.hasAttribute('aria-describedby')).toBe(false);
    }
    fireEvent.click(button('Approve'));
    await waitFor(() => expect(gateway.decide).toHaveBeenCalledOnce());
  });

  it('When the agent has one of the roles, then the decisions are on', () => {
    renderWithClient(<CardHost initial={guarded({ roles: ['admin'], groups: ['Team leads'] })} />, {
      currentUser: { role: 'admin', groups: [] },
    });
    expect(decideButtons().map((b) => b.disabled)).toEqual([false, false, false]);
  });

  it('When the escalation time passes, then the widened deciders turn the buttons on and the card says it escalated', () => {
    const approval = guarded(LEADS, { afterSeconds: 600, deciders: { roles: ['agent'] } }, 60_000);
    const { rerender } = renderWithClient(<ApprovalCard approval={approval} now={NOW} onUpdated={() => undefined} />);
    expect(screen.getByText('Needs a member of Team leads')).toBeTruthy();
    expect(button('Approve').disabled).toBe(true);
    expect(screen.queryByText('Escalated')).toBeNull();

    rerender(<ApprovalCard approval={approval} now={NOW + 60_000} onUpdated={() => undefined} />);
    expect(screen.queryByText('Needs a member of Team leads')).toBeNull();
    expect(decideButtons().map((b) => b.disabled)).toEqual([false, false, false]);
    expect(screen.getByText('Escalated')).toBeTruthy();
  });

  it('When escalated without wider deciders, then the card says it escalated and the requirement still applies', () => {
    renderWithClient(<CardHost initial={guarded(LEADS, { afterSeconds: 600, priority: 'urgent' }, -1000)} />);
    expect(screen.getByText('Escalated')).toBeTruthy();
    expect(screen.getByText('Needs a member of Team leads')).toBeTruthy();
    expect(button('Approve').disabled).toBe(true);
  });

  it('When the gateway refuses the decision for lacking authority, then its detail shows in the card and the card stays', async () => {
    const client = fakeClient();
    const detail =
      'Needs a member of Team leads: only members of Team leads may decide this approval (Ada Lovelace: agent, groups Team leads (old))';
    client.request.mockRejectedValue({
      status: 403,
      responseJSON: {
        type: 'urn:cheqpoint:problem:forbidden',
        title: 'Forbidden',
        status: 403,
        detail,
        reason: 'lacks-authority',
        requirement: LEADS,
        errors: [{ path: 'agent', message: 'Needs a member of Team leads to decide this approval' }],
      },
    });
    // the app's Zendesk data says Ada leads; the gateway's (verified) look-up disagrees
    renderWithClient(<CardHost initial={guarded(LEADS)} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
      currentUser: { groups: ['Team leads'] },
    });
    fireEvent.click(button('Approve'));
    expect((await screen.findByRole('alert')).textContent).toBe(detail);
    expect(screen.queryByText(/agent key/)).toBeNull();
    expect(screen.getByRole('article', { name: 'Refund order' })).toBeTruthy();
    expect(button('Approve').disabled).toBe(false);
  });

  it('When the gateway cannot check authority (unverified approvers), then its detail shows in the card', async () => {
    const client = fakeClient();
    const detail = 'Needs a member of Team leads: only members of Team leads may decide this approval, and …';
    client.request.mockRejectedValue({
      status: 403,
      responseJSON: { type: 'x', title: 'Forbidden', status: 403, detail, reason: 'authority-unverifiable' },
    });
    renderWithClient(<CardHost initial={guarded(LEADS)} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
      currentUser: { groups: ['Team leads'] },
    });
    fireEvent.click(button('Reject'));
    fireEvent.change(screen.getByRole('textbox'), { target: { value: 'Too much' } });
    fireEvent.click(button('Confirm reject'));
    expect((await screen.findByRole('alert')).textContent).toBe(detail);
  });

  it('When Zendesk does not answer the authority check (503), then the gateway detail shows, not "unreachable"', async () => {
    const client = fakeClient();
    const detail = 'Could not check the authority this approval needs: Zendesk did not answer (timeout). Try again.';
    client.request.mockRejectedValue({
      status: 503,
      responseJSON: { type: 'urn:cheqpoint:problem:zendesk-unavailable', title: 'Unavailable', status: 503, detail },
    });
    renderWithClient(<CardHost initial={guarded(LEADS)} />, {
      client,
      gateway: createGatewayClient(client, 'https://gw.example.com'),
      currentUser: { groups: ['Team leads'] },
    });
    fireEvent.click(button('Approve'));
    expect((await screen.findByRole('alert')).textContent).toBe(detail);
  });

  it('When the agent may not decide, then German shows the requirement in German', () => {
    renderWithClient(<CardHost initial={guarded({ roles: ['admin'], groups: ['Team leads'] })} />, { locale: 'de' });
    expect(screen.getByText('Erfordert einen Admin oder ein Mitglied von Team leads')).toBeTruthy();
  });
});

describe('Requirement text', () => {
  it('When deciders have no label, then English reads as describeDeciders says it', () => {
    const t = createTranslator('en');
    const cases: Deciders[] = [
      { roles: ['admin'] },
      { groups: ['Team leads'] },
      { roles: ['admin'], groups: ['Team leads'] },
      { roles: ['admin', 'agent'], groups: ['Team leads', 'Billing'] },
      { groups: ['Team leads'], label: 'Needs a team lead' },
    ];
    for (const deciders of cases) expect(requirementText(deciders, t)).toBe(describeDeciders(deciders));
  });

  it('When approvals escalate, then their escalation times are deadlines the clock ticks for', () => {
    const escalating = guarded(LEADS, { afterSeconds: 600, priority: 'high' }, 60_000);
    const decided = guarded(LEADS, undefined, undefined, {
      status: 'approved',
      decidedAt: new Date(NOW).toISOString(),
    });
    expect(deadlinesOf([escalating, decided])).toEqual([escalating.expiresAt, escalating.escalatesAt]);
  });
});

describe('Queue with approval authority', () => {
  it('When an approval needs deciders, then its row says which; one without says nothing', async () => {
    const needsLead = guarded({ groups: ['Team leads'], label: 'Needs a team lead' });
    const anyone = buildApproval({ summary: 'Refund order #1002' });
    renderWithClient(<Queue />, {
      gateway: fakeGateway({ listPending: vi.fn(async () => [needsLead, anyone]) }),
      location: 'nav_bar',
    });
    // This agent is not a team lead, so "Can decide" starts ticked and hides the row: show everyone's.
    const canDecide = (await screen.findByLabelText('Can decide')) as HTMLInputElement;
    await waitFor(() => expect(canDecide.checked).toBe(true));
    fireEvent.click(canDecide);
    const row = (await screen.findByText('Refund order #1001')).closest('tr') as HTMLElement;
    expect(within(row).getByText('Needs a team lead')).toBeTruthy();
    const other = screen.getByText('Refund order #1002').closest('tr') as HTMLElement;
    expect(other.querySelector('[data-requirement]')).toBeNull();
  });
});

describe('ClientProvider and the current user', () => {
  function Who() {
    const { currentUser } = useClient();
    return <p data-testid="who">{JSON.stringify({ role: currentUser.role, groups: currentUser.groups })}</p>;
  }

  it("When ZAF reports the user's role and groups, then the current user carries the role and the group names", async () => {
    const client = fakeClient();
    client.get = vi.fn(async () => ({
      currentUser: { id: 381, name: 'Ada', role: 'admin', groups: [{ id: 1, name: 'Team leads' }, { id: 2 }, null] },
    })) as never;
    const registered = Promise.resolve({ context: { location: 'nav_bar' }, metadata: { settings: {} } } as never);
    renderWithClient(
      <ClientProvider client={client} registered={registered}>
        <Who />
      </ClientProvider>,
    );
    const who = await screen.findByTestId('who');
    expect(JSON.parse(who.textContent ?? '')).toEqual({
      role: 'admin',
      groups: ['Team leads'],
    } satisfies Partial<ICurrentUser>);
  });
});

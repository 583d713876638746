import { describe, expect, it, vi } from 'vitest';
import { AGENT_KEY_PLACEHOLDER, createGatewayClient } from '../../zendesk-app/src/app/api/gateway-client';
import { buildApproval, fakeClient } from './support';

const agent = { id: '381', name: 'Ada Lovelace' };

describe('gateway client', () => {
  it('When listing, then the call goes through the secure proxy with the key placeholder only', async () => {
    const client = fakeClient();
    const approval = buildApproval();
    client.request.mockResolvedValue({ approvals: [{ ...approval, somethingNew: true }] });
    const list = await createGatewayClient(client, 'https://gw.example.com/').listForTicket('9921');
    expect(list.map((a) => a.approvalId)).toEqual([approval.approvalId]);
    expect(client.request).toHaveBeenCalledWith(
      expect.objectContaining({
        url: 'https://gw.example.com/api/agent/approvals?ticketId=9921',
        type: 'GET',
        secure: true,
        cors: false,
        headers: expect.objectContaining({ 'x-api-key': AGENT_KEY_PLACEHOLDER }),
      }),
    );
    expect(AGENT_KEY_PLACEHOLDER).toBe('{{setting.agentKey}}');
  });

  it('When the queue is filtered, then status, action and limit are in the query', async () => {
    const client = fakeClient();
    client.request.mockResolvedValue({ approvals: [] });
    await createGatewayClient(client, 'https://gw.example.com').listPending({ action: 'refund order' });
    expect(client.request.mock.calls[0]?.[0].url).toBe(
      'https://gw.example.com/api/agent/approvals?status=pending&limit=100&action=refund+order',
    );
  });

  it('When the decision meets a 409, then the outcome is a conflict with the current approval', async () => {
    const client = fakeClient();
    const current = { ...buildApproval(), status: 'approved', decidedBy: { type: 'agent', id: '7', name: 'Grace' } };
    client.request.mockRejectedValue({
      status: 409,
      responseText: JSON.stringify({
        type: 'x',
        title: 'Already decided',
        status: 409,
        detail: 'd',
        approval: current,
      }),
    });
    const outcome = await createGatewayClient(client, 'https://gw.example.com').decide(current.approvalId, {
      decision: 'approve',
      agent,
    });
    expect(outcome.kind).toBe('conflict');
    // a gateway from before `verified` existed: read as unverified
    expect(outcome.approval.decidedBy).toEqual({ type: 'agent', id: '7', name: 'Grace', verified: false });
  });

  it.each([
    [{ status: 401 }, 'unauthorized'],
    [{ status: 403 }, 'unauthorized'],
    [{ status: 0 }, 'unreachable'],
    [{ status: 502 }, 'unreachable'],
    [new Error('Timeout'), 'unreachable'],
    [{ status: 500, responseJSON: { type: 'x', title: 't', status: 500, detail: 'boom' } }, 'http'],
  ])('When the proxy answers %o, then the error kind is %s', async (failure, kind) => {
    const client = fakeClient();
    client.request.mockRejectedValue(failure);
    await expect(createGatewayClient(client, 'https://gw.example.com').listForTicket('1')).rejects.toMatchObject({
      kind,
    });
  });

  it('When a 400 carries field errors, then they are kept for the card', async () => {
    const client = fakeClient();
    const errors = [{ path: 'note', message: 'A note is required to reject' }];
    client.request.mockRejectedValue({
      status: 400,
      responseJSON: { type: 'x', title: 'Invalid', status: 400, detail: 'Invalid request', errors },
    });
    await expect(
      createGatewayClient(client, 'https://gw.example.com').decide('apr_1', { decision: 'reject', agent }),
    ).rejects.toMatchObject({ kind: 'http', status: 400, fieldErrors: errors });
  });

  it('When the gateway URL is not set, then nothing is requested', async () => {
    const client = fakeClient();
    await expect(createGatewayClient(client, '').listForTicket('1')).rejects.toMatchObject({ kind: 'not-configured' });
    expect(client.request).not.toHaveBeenCalled();
  });

  it('When a reply breaks the contract, then it is an invalid reply', async () => {
    const client = fakeClient();
    client.request.mockResolvedValue({ approvals: [{ approvalId: 'nope' }] });
    await expect(createGatewayClient(client, 'https://gw.example.com').listForTicket('1')).rejects.toMatchObject({
      kind: 'invalid-reply',
    });
    vi.restoreAllMocks();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalSchema } from '@cheqpoint/shared';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, SAMPLE_1, SAMPLE_2 } from '../support/http.js';

let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'contract' });
  keys = await gw.createAccount();
});
afterAll(async () => gw?.close());

describe('Sample payloads of the integration guide', () => {
  it('When sample 1 is sent verbatim with wait=0, then it answers 202 pending with an approvalId and Location', async () => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body: SAMPLE_1 });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending');
    expect(res.body.approvalId).toMatch(/^apr_[0-9a-f]{32}$/);
    expect(res.headers.get('location')).toBe(`/api/approvals/${res.body.approvalId}`);
    expect(ApprovalSchema.parse(res.body)).toMatchObject({
      action: SAMPLE_1.action,
      summary: SAMPLE_1.summary,
      details: SAMPLE_1.details,
      justification: SAMPLE_1.justification,
      ticketId: '9921',
      modifiedDetails: null,
      decisionNote: null,
      decidedBy: null,
      decidedAt: null,
    });
  });

  it('When sample 2 (with a public callbackUrl) is sent verbatim, then it is accepted as pending', async () => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body: SAMPLE_2 });
    expect(res.status).toBe(202);
    expect(res.body.details).toEqual(SAMPLE_2.details);
  });

  it('When an agent approves with changes during a held wait, then the wait answers 200 with them at once', async () => {
    const body = { ...SAMPLE_1, details: { ...SAMPLE_1.details, subscription_id: 'sub_wait' } };
    const held = call(gw.url, 'POST', '/api/webhooks/inbound?wait=20', { key: keys.flowKey, body });
    let pending: any;
    for (let i = 0; i < 50 && !pending; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const list = await call(gw.url, 'GET', '/api/agent/approvals?ticketId=9921', { key: keys.agentKey });
      pending = list.body.approvals.find((a: any) => a.details.subscription_id === 'sub_wait');
    }
    expect(pending?.status).toBe('pending');
    const decision = await call(gw.url, 'POST', `/api/agent/approvals/${pending.approvalId}/decision`, {
      key: keys.agentKey,
      body: {
        decision: 'approve',
        note: 'Offer pause instead',
        modifiedDetails: { ...body.details, pause: true },
        agent,
      },
    });
    expect(decision.status).toBe(200);
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      approvalId: pending.approvalId,
      status: 'approved',
      decisionNote: 'Offer pause instead',
      modifiedDetails: { ...body.details, pause: true },
      decidedBy: { type: 'agent', id: '42', name: 'Ada Agent', email: 'ada@example.com' },
    });
  });
});

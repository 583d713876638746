import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionsFileSchema, ExecutionNotFailedProblemSchema, type ActionConfig } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { actionConfigs } from '../../server/src/actions/action-configs.js';
import { parseSecretsKey } from '../../server/src/actions/secrets-key.js';
import { secretsStore } from '../../server/src/actions/secrets.js';
import { systemResolver } from '../../server/src/callbacks/callback-url.js';
import { createLogger } from '../../server/src/lib/logger.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { startFakeBilling, type FakeBilling } from '../support/fake-billing.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, type JsonResponse } from '../support/http.js';
import { until } from '../support/process.js';
import { startReceiver, type Receiver, type Reply } from '../support/receiver.js';

const SECRETS_KEY = randomBytes(32).toString('base64');
/** The billing API token: it must never come back through the API, the logs, the audit trail or a callback. */
const BILLING_TOKEN = `sk_live_${randomBytes(12).toString('hex')}`;
const ZD_TOKEN = 'zd-late-token-8c2e';
const ZD_EMAIL = 'bot@acme.example';
const ZD_BASIC = `Basic ${Buffer.from(`${ZD_EMAIL}/token:${ZD_TOKEN}`).toString('base64')}`;

/** A Zendesk stand-in: 401 without the connection's credentials, else 200; keeps every request. */
async function startFakeZendesk() {
  const receiver = await startReceiver((req) =>
    req.headers.authorization === ZD_BASIC ? { status: 200, body: '{}' } : { status: 401, body: '{}' },
  );
  return {
    receiver,
    url: `http://127.0.0.1:${receiver.port}`,
    /** The public comments added to a ticket (the replies to the customer). */
    replies: (ticketId: string) =>
      receiver.requests
        .filter((r) => r.method === 'PUT' && r.path === `/api/v2/tickets/${ticketId}.json`)
        .map((r) => (JSON.parse(r.body) as { ticket: { comment: Record<string, unknown> } }).ticket.comment)
        .filter((c) => c['public'] === true),
  };
}

let seq = 800_000 + Math.floor(Math.random() * 100_000);
const newTicket = () => String(seq++);

describe('Late decisions: Cheqpoint carries out the action and tells the customer', () => {
  let gw: TestGateway;
  let billing: FakeBilling;
  let zd: Awaited<ReturnType<typeof startFakeZendesk>>;
  let callbacks: Receiver;
  /** Billing's answers by subscription id: the n-th request for it gets the n-th (the last repeats). */
  const billingAnswers = new Map<string, Reply[]>();
  const lines: string[] = [];
  /** Every answer the gateway gave in these tests, to look for the secret in. */
  const answers: string[] = [];

  const api = async (method: string, path: string, options: Parameters<typeof call>[3] = {}) => {
    const res = await call(gw.url, method, path, options);
    answers.push(res.text, JSON.stringify(Object.fromEntries(res.headers)));
    return res;
  };

  beforeAll(async () => {
    billing = await startFakeBilling((req) => {
      const sub = /\/subscriptions\/([^/]+)\//.exec(req.path)?.[1] ?? '';
      const list = billingAnswers.get(sub) ?? [{ status: 200, body: '{"ok":true}' }];
      const n = billing.requests.filter((r) => r.path.includes(`/subscriptions/${sub}/`)).length;
      return list[Math.min(n, list.length) - 1] ?? { status: 200 };
    });
    zd = await startFakeZendesk();
    callbacks = await startReceiver();
    gw = await startTestGateway({
      label: 'late_actions',
      allowlist: [billing.hostPort, `127.0.0.1:${callbacks.port}`],
      logger: createLogger('debug', (line) => lines.push(line)),
      // billing.corp.example plays a name that resolves to a private address (an SSRF attempt).
      resolver: async (host) => (host === 'billing.corp.example' ? ['10.1.2.3'] : systemResolver(host)),
      config: {
        CHEQPOINT_SECRETS_KEY: SECRETS_KEY,
        CHEQPOINT_EXECUTION_GRACE_MS: 300,
        CHEQPOINT_DISPATCH_INTERVAL_MS: 50,
        CHEQPOINT_CALLBACK_RETRY_SCHEDULE: [100, 200, 300],
        CHEQPOINT_ZENDESK_RETRY_SCHEDULE: [100, 200, 300],
        CHEQPOINT_CALLBACK_TIMEOUT_MS: 2_000,
        CHEQPOINT_CALLBACK_LEASE_MS: 5_000,
      },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([billing?.close(), zd?.receiver.close(), callbacks?.close()]);
  });

  /** The issue's example action against the billing fake (its replies per outcome). */
  const cancelAction = (
    overrides: Partial<ActionConfig> = {},
    url = billing.url('/v1/subscriptions/{{details.subscription_id}}/cancel'),
  ) => ({
    action: 'cancel_subscription',
    execute: {
      method: 'POST',
      url,
      name: 'Billing',
      headers: { authorization: 'Bearer {{secrets.billing}}' },
      body: { at: '{{details.effective_at}}', reason: '{{details.churn_reason}}', amount: '{{details.amount}}' },
    },
    when: 'late',
    reply: {
      approved: 'Your {{details.plan}} plan is cancelled. {{decisionNote}}',
      rejected: 'We could not cancel your plan: {{decisionNote}}',
    },
    ...overrides,
  });

  /** An account with the Zendesk connection, the billing secret and `actions`. */
  async function account(actions: unknown[]): Promise<CreatedAccount> {
    const keys = await gw.createAccount(`late-${seq}`);
    await zendeskConnections(gw.conn as Connection).connect(keys.accountId, {
      subdomain: 'acme',
      url: zd.url,
      appId: 1,
      auth: { kind: 'api-token', email: ZD_EMAIL, token: ZD_TOKEN },
    });
    await secretsStore(gw.conn).set(parseSecretsKey(SECRETS_KEY), keys.accountId, 'billing', BILLING_TOKEN, new Date());
    await actionConfigs(gw.conn).set(keys.accountId, ActionsFileSchema.parse({ actions }), new Date());
    return keys;
  }

  const details = (ticketId: string, sub: string) => ({
    ticket_id: ticketId,
    subscription_id: sub,
    plan: 'Premium',
    amount: 100,
    effective_at: '2026-12-31',
    churn_reason: 'Price too high',
  });

  const intake = (keys: CreatedAccount, body: Record<string, unknown>, wait = 0) =>
    api('POST', `/api/webhooks/inbound?wait=${wait}`, {
      key: keys.flowKey,
      body: { action: 'cancel_subscription', summary: 'Cancel the subscription', ...body },
    });

  const decide = (keys: CreatedAccount, id: string, body: Record<string, unknown>) =>
    api('POST', `/api/agent/approvals/${id}/decision`, { key: keys.agentKey, body: { agent, ...body } });

  const read = (keys: CreatedAccount, id: string) => api('GET', `/api/approvals/${id}`, { key: keys.agentKey });

  const settled = (
    keys: CreatedAccount,
    id: string,
    what: (r: JsonResponse) => boolean,
    label: string,
    timeoutMs?: number,
  ) =>
    until(
      async () => {
        const res = await read(keys, id);
        return what(res) ? res : null;
      },
      label,
      timeoutMs,
    );

  const requestsFor = (sub: string) => billing.requests.filter((r) => r.path.includes(`/subscriptions/${sub}/`));

  it('When a ?wait=0 approval is approved later with a changed amount, then exactly one request carries the changed amount, the rendered URL, headers and Idempotency-Key, the ticket gets one public reply, and the approval shows both', async () => {
    const keys = await account([cancelAction()]);
    const ticket = newTicket();
    const created = await intake(keys, {
      details: details(ticket, 'sub_5521'),
      callbackUrl: callbacks.url('/late'),
    });
    expect(created.status).toBe(202);
    expect(created.body.outcomePlan).toEqual({
      when: 'late',
      execute: { method: 'POST', host: billing.hostPort, name: 'Billing' },
      reply: { approved: true, rejected: true },
    });
    expect(created.body.execution).toBeNull();
    const id = created.body.approvalId as string;

    const decided = await decide(keys, id, {
      decision: 'approve',
      note: 'The rest is refunded.',
      modifiedDetails: { ...details(ticket, 'sub_5521'), amount: 80 },
    });
    expect(decided.status).toBe(200);
    expect(decided.body.execution).toMatchObject({ status: 'pending', method: 'POST', name: 'Billing' });

    const done = await settled(keys, id, (r) => r.body.customerReply?.status === 'added', 'the reply added');
    expect(done.body.execution).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      host: billing.hostPort,
    });
    const [request, ...others] = requestsFor('sub_5521');
    expect(others).toEqual([]);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/subscriptions/sub_5521/cancel');
    expect(request?.headers['authorization']).toBe(`Bearer ${BILLING_TOKEN}`);
    expect(request?.headers['idempotency-key']).toBe(id);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({ at: '2026-12-31', reason: 'Price too high', amount: 80 });
    expect(zd.replies(ticket)).toEqual([
      { body: 'Your Premium plan is cancelled. The rest is refunded.', public: true },
    ]);

    // Nothing more comes: one request, one reply.
    await new Promise((r) => setTimeout(r, 600));
    expect(requestsFor('sub_5521')).toHaveLength(1);
    expect(zd.replies(ticket)).toHaveLength(1);

    const events = await api('GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    const executed = (events.body.events as { type: string; data: Record<string, unknown> }[]).find(
      (e) => e.type === 'executed',
    );
    expect(executed?.data).toMatchObject({ method: 'POST', host: billing.hostPort, httpStatus: 200 });
    // The callback says what Cheqpoint does about the action.
    const callback = await until(() => callbacks.requests.find((r) => r.path === '/late'), 'the callback');
    expect(JSON.parse(callback.body).execution).toMatchObject({ method: 'POST', name: 'Billing' });
    expect(callback.body).not.toContain(BILLING_TOKEN);
  });

  it('When the approval is decided while a ?wait=20 call holds, then that call answers the decision with the execution skipped, and nothing is executed or replied', async () => {
    const keys = await account([cancelAction()]);
    const ticket = newTicket();
    const held = intake(keys, { details: details(ticket, 'sub_held') }, 20);
    const listed = await until(async () => {
      const list = await api('GET', `/api/agent/approvals?ticketId=${ticket}`, { key: keys.agentKey });
      return list.body?.approvals?.[0] as { approvalId: string } | undefined;
    }, 'the held approval');
    await decide(keys, listed.approvalId, { decision: 'approve' });
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('approved');
    expect(answer.body.execution).toMatchObject({ status: 'skipped' });
    expect(answer.body.customerReply).toBeNull();
    const after = await settled(keys, listed.approvalId, (r) => r.body.execution?.status === 'skipped', 'skipped');
    expect(after.body.customerReply).toBeNull();
    await new Promise((r) => setTimeout(r, 500));
    expect(requestsFor('sub_held')).toEqual([]);
    expect(zd.replies(ticket)).toEqual([]);
  });

  it('When an approval with when: always is decided while the call holds, then it is executed and replied all the same', async () => {
    const keys = await account([cancelAction({ when: 'always' })]);
    const ticket = newTicket();
    const held = intake(keys, { details: details(ticket, 'sub_always') }, 20);
    const listed = await until(async () => {
      const list = await api('GET', `/api/agent/approvals?ticketId=${ticket}`, { key: keys.agentKey });
      return list.body?.approvals?.[0] as { approvalId: string } | undefined;
    }, 'the held approval');
    await decide(keys, listed.approvalId, { decision: 'approve' });
    expect((await held).body.status).toBe('approved');
    await settled(keys, listed.approvalId, (r) => r.body.customerReply?.status === 'added', 'the reply');
    expect(requestsFor('sub_always')).toHaveLength(1);
    expect(zd.replies(ticket)).toEqual([{ body: 'Your Premium plan is cancelled. ', public: true }]);
  });

  it('When billing answers 503 and then 200, then the execution is retried to exactly one success with the same Idempotency-Key', async () => {
    billingAnswers.set('sub_503', [{ status: 503, body: 'busy' }, { status: 200 }]);
    const keys = await account([cancelAction()]);
    const id = (await intake(keys, { details: details(newTicket(), 'sub_503') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const done = await settled(keys, id, (r) => r.body.execution?.status === 'succeeded', 'success');
    expect(done.body.execution).toMatchObject({ attempts: 2, lastStatus: 200 });
    const sent = requestsFor('sub_503');
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((r) => r.headers['idempotency-key']))).toEqual(new Set([id]));
    expect([...billing.executed.keys()].filter((k) => k === id)).toHaveLength(1);
  });

  it('When billing answers 429 with Retry-After: 2 and then 200, then the second attempt waits the 2 s (not the 100 ms schedule) and there is exactly one success', async () => {
    billingAnswers.set('sub_429', [
      { status: 429, headers: { 'retry-after': '2' }, body: 'slow down' },
      { status: 200, body: '{"ok":true}' },
    ]);
    const keys = await account([cancelAction()]);
    const id = (await intake(keys, { details: details(newTicket(), 'sub_429') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const waiting = await settled(keys, id, (r) => r.body.execution?.lastStatus === 429, 'the 429 recorded');
    expect(waiting.body.execution).toMatchObject({ status: 'pending', attempts: 1 });
    const done = await settled(keys, id, (r) => r.body.execution?.status === 'succeeded', 'success');
    expect(done.body.execution).toMatchObject({ attempts: 2, lastStatus: 200, lastError: null });
    const [first, second, ...more] = requestsFor('sub_429');
    expect(more).toEqual([]);
    expect([first?.headers['idempotency-key'], second?.headers['idempotency-key']]).toEqual([id, id]);
    // Retry-After is a lower bound on the next attempt (the schedule alone would send it after about 100 ms).
    expect((second?.receivedAt.getTime() ?? 0) - (first?.receivedAt.getTime() ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect([...billing.executed.keys()].filter((k) => k === id)).toHaveLength(1);
  });

  it('When billing does not answer once, then the attempt times out and the next one succeeds, exactly once', async () => {
    billingAnswers.set('sub_slow', [{ kind: 'hang' }, { status: 200, body: '{"ok":true}' }]);
    const keys = await account([cancelAction()]);
    const id = (await intake(keys, { details: details(newTicket(), 'sub_slow') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const done = await settled(keys, id, (r) => r.body.execution?.status === 'succeeded', 'success');
    expect(done.body.execution).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(requestsFor('sub_slow').map((r) => r.headers['idempotency-key'])).toEqual([id, id]);
    expect([...billing.executed.keys()].filter((k) => k === id)).toHaveLength(1);
  });

  it('When billing never answers, then every attempt of the schedule times out and the execution fails saying so, with no reply', async () => {
    billingAnswers.set('sub_never', [{ kind: 'hang' }]);
    const keys = await account([cancelAction()]);
    const ticket = newTicket();
    const id = (await intake(keys, { details: details(ticket, 'sub_never') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const failed = await settled(keys, id, (r) => r.body.execution?.status === 'failed', 'the failure', 30_000);
    // The first attempt and one per delay of CHEQPOINT_CALLBACK_RETRY_SCHEDULE (three), each cut at the 2 s timeout.
    expect(failed.body.execution).toMatchObject({
      attempts: 4,
      lastStatus: null,
      lastError: 'No response within 2 s (retries used up)',
    });
    expect(requestsFor('sub_never').map((r) => r.headers['idempotency-key'])).toEqual([id, id, id, id]);
    expect(failed.body.customerReply).toEqual({ status: 'pending', at: null });
    expect(zd.replies(ticket)).toEqual([]);
  });

  it('When billing answers 422, then the execution fails without a retry and without a reply; a retry through the API then succeeds, and a retry of a succeeded one is 409', async () => {
    billingAnswers.set('sub_422', [{ status: 422, body: '{"error":"already cancelled"}' }, { status: 200 }]);
    const keys = await account([cancelAction()]);
    const ticket = newTicket();
    const id = (await intake(keys, { details: details(ticket, 'sub_422') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const failed = await settled(keys, id, (r) => r.body.execution?.status === 'failed', 'failure');
    expect(failed.body.execution).toMatchObject({ attempts: 1, lastStatus: 422 });
    expect(failed.body.execution.lastError).toContain('HTTP 422');
    expect(failed.body.customerReply).toEqual({ status: 'pending', at: null });
    await new Promise((r) => setTimeout(r, 400));
    expect(requestsFor('sub_422')).toHaveLength(1);
    expect(zd.replies(ticket)).toEqual([]);
    const events = await api('GET', `/api/approvals/${id}/events`, { key: keys.agentKey });
    expect((events.body.events as { type: string }[]).map((e) => e.type)).toContain('execution-failed');

    const flowRetry = await api('POST', `/api/agent/approvals/${id}/execution/retry`, { key: keys.flowKey });
    expect(flowRetry.status).toBe(403);
    const retried = await api('POST', `/api/agent/approvals/${id}/execution/retry`, { key: keys.agentKey });
    expect(retried.status).toBe(202);
    const done = await settled(keys, id, (r) => r.body.customerReply?.status === 'added', 'the retry and its reply');
    expect(done.body.execution).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 200 });
    expect(zd.replies(ticket)).toHaveLength(1);

    const again = await api('POST', `/api/agent/approvals/${id}/execution/retry`, { key: keys.agentKey });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    expect(again.body.type).toBe('urn:cheqpoint:problem:execution-not-failed');
    // With the approval as it is now, like the 202, so the card shows the present state.
    const problem = ExecutionNotFailedProblemSchema.parse(again.body);
    expect(problem.executionState).toBe('succeeded');
    expect(problem.approval).toMatchObject({ approvalId: id, execution: { status: 'succeeded' } });
    const doc = (await api('GET', '/api/openapi.json')).body;
    const conflict = doc.paths['/api/agent/approvals/{approvalId}/execution/retry'].post.responses['409'];
    expect(conflict.content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/ExecutionNotFailedProblem',
    });
    expect(doc.components.schemas.ExecutionNotFailedProblem.required).toEqual(
      expect.arrayContaining(['type', 'status', 'executionState', 'approval']),
    );
    const unknown = await api('POST', `/api/agent/approvals/apr_${'0'.repeat(32)}/execution/retry`, {
      key: keys.agentKey,
    });
    expect(unknown.status).toBe(404);
  });

  it('When the action URL reaches a private address (a name resolving to 10.1.2.3, or a loopback IP not allowlisted), then nothing is sent and the execution fails as blocked', async () => {
    const keys = await account([
      cancelAction({}, 'https://billing.corp.example/v1/subscriptions/{{details.subscription_id}}/cancel'),
      { ...cancelAction({}, 'https://127.0.0.2:8443/v1/{{details.subscription_id}}'), action: 'cancel_loopback' },
    ]);
    const viaName = (await intake(keys, { details: details(newTicket(), 'sub_ssrf') })).body.approvalId as string;
    const viaIp = (await intake(keys, { action: 'cancel_loopback', details: details(newTicket(), 'sub_ssrf2') })).body
      .approvalId as string;
    await decide(keys, viaName, { decision: 'approve' });
    await decide(keys, viaIp, { decision: 'approve' });
    for (const id of [viaName, viaIp]) {
      const failed = await settled(keys, id, (r) => r.body.execution?.status === 'failed', `${id} blocked`);
      expect(failed.body.execution.lastError).toMatch(/^Blocked: /);
      expect(failed.body.execution.lastStatus).toBeNull();
    }
  });

  it('When a template has no value in the approved details, then no request is sent and the failure names the missing value', async () => {
    const keys = await account([cancelAction()]);
    const { effective_at: _dropped, ...partial } = details(newTicket(), 'sub_hole');
    const id = (await intake(keys, { details: partial })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    const failed = await settled(keys, id, (r) => r.body.execution?.status === 'failed', 'failure');
    expect(failed.body.execution.lastError).toBe('Not sent: No value for details.effective_at');
    expect(failed.body.execution.attempts).toBe(0);
    expect(requestsFor('sub_hole')).toEqual([]);
  });

  it('When a late decision is a rejection, then nothing is executed and the rejection reply is added once', async () => {
    const keys = await account([cancelAction()]);
    const ticket = newTicket();
    const id = (await intake(keys, { details: details(ticket, 'sub_no') })).body.approvalId as string;
    await decide(keys, id, { decision: 'reject', note: 'The contract runs until March.' });
    const done = await settled(keys, id, (r) => r.body.customerReply?.status === 'added', 'the reply');
    expect(done.body.execution).toBeNull();
    expect(zd.replies(ticket)).toEqual([
      { body: 'We could not cancel your plan: The contract runs until March.', public: true },
    ]);
    expect(requestsFor('sub_no')).toEqual([]);
  });

  it('When a reply-only action is approved by an unverified agent, then the reply is added without an author (the connection’s user writes it)', async () => {
    const keys = await account([cancelAction({ execute: undefined })]);
    const ticket = newTicket();
    const id = (await intake(keys, { details: details(ticket, 'sub_author') })).body.approvalId as string;
    await decide(keys, id, { decision: 'approve' });
    await settled(keys, id, (r) => r.body.customerReply?.status === 'added', 'the reply');
    // Unverified (the body's agent): the connection's user writes it.
    expect(zd.replies(ticket)[0]).not.toHaveProperty('author_id');
  });

  it('When anything was executed, then the billing token appears in no API answer, log line or audit event', async () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const text of answers) expect(text).not.toContain(BILLING_TOKEN);
    expect(lines.join('\n')).not.toContain(BILLING_TOKEN);
    expect(lines.join('\n')).not.toContain(SECRETS_KEY);
    const stored = await gw.conn.collection('audit_events').find({}).toArray();
    expect(stored.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toContain(BILLING_TOKEN);
    for (const r of callbacks.requests) expect(r.body).not.toContain(BILLING_TOKEN);
  });
});

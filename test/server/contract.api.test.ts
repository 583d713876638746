import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApprovalSchema, CallbackBodySchema } from '@cheqpoint/shared';
import { REPO_ROOT } from '../../server/src/config.js';
import { freePort, isPortOpen } from '../../server/src/db/embedded-ferretdb.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { movableClock } from '../support/clock.js';
import { until } from '../support/process.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, SAMPLE_1, SAMPLE_2, uniqueRequest } from '../support/http.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

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

describe('The callback contract (CallbackBodySchema in shared/)', () => {
  const clock = movableClock();
  let cb: TestGateway;
  let receiver: Receiver;
  let readmePort: number;
  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 204 }));
    readmePort = await freePort();
    cb = await startTestGateway({
      label: 'contract_cb',
      clock,
      allowlist: [`127.0.0.1:${receiver.port}`, `127.0.0.1:${readmePort}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 },
    });
  });
  afterAll(async () => {
    await cb?.close();
    await receiver?.close();
  });

  // First: the test after it moves the gateway's clock a day on, past any receiver's timestamp window.
  it('When the README receiver example runs, then it takes a real callback (verified, parsed with the shared schema) and refuses a forged one and a signed body outside the contract', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A receiver that verifies callbacks'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain('CallbackBodySchema.parse(wh.verify(body, req.headers))');
    // Inside the repository (tmp/ is git-ignored), so that '@cheqpoint/shared' resolves as the README says.
    const dir = path.join(REPO_ROOT, 'tmp', `readme-receiver-${process.pid}-${readmePort}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'receiver.mjs'), code!);
    const account = await cb.createAccount('readme-receiver');
    let output = '';
    let child: ChildProcess | null = null;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, 'receiver.mjs')], {
        cwd: REPO_ROOT,
        env: { ...process.env, CHEQPOINT_SIGNING_SECRET: account.signingSecret, PORT: String(readmePort) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      await until(() => isPortOpen(readmePort), 'the README receiver to listen', 30_000);
      const url = `http://127.0.0.1:${readmePort}/`;

      const created = await call(cb.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: account.flowKey,
        body: uniqueRequest({ callbackUrl: url }),
      });
      await call(cb.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
        key: account.agentKey,
        body: { decision: 'reject', note: 'Not this time', agent },
      });
      await until(() => output.includes(created.body.approvalId), 'the receiver to log the callback', 15_000);
      expect(output).toContain(`${created.body.approvalId} rejected Not this time`);
      await until(
        async () =>
          (await call(cb.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: account.flowKey })).body
            .callback?.status === 'delivered',
        'the callback to be delivered',
      );

      // Signed with the account's secret, but not the contract (no approvalId): refused like a forgery.
      const wh = new Webhook(account.signingSecret);
      const post = (body: string, headers: Record<string, string>) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const sign = (body: string) => {
        const id = 'msg_test';
        const timestamp = new Date();
        return {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': wh.sign(id, timestamp, body),
        };
      };
      const offContract = JSON.stringify({ type: 'approval.decided', status: 'approved' });
      expect((await post(offContract, sign(offContract))).status).toBe(400);
      const forged = JSON.stringify({ type: 'approval.decided', approvalId: created.body.approvalId });
      expect((await post(forged, { ...sign(forged), 'webhook-signature': 'v1,AAAA' })).status).toBe(400);
    } finally {
      child?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('When approvals are decided by an agent (with changes and a note), a policy and expiry, then each callback, verified as the README receiver does, parses with the shared schema and holds no field outside it', async () => {
    const account = await cb.createAccount('callback-contract');
    await policiesRepository(cb.conn).setPolicy(account.accountId, {
      rules: [
        { name: 'auto-small', action: 'auto_refund', outcome: 'approve', note: 'Small' },
        { name: 'rest', action: '*', outcome: 'require_human' },
      ],
    });
    const create = (body: Record<string, unknown>) =>
      call(cb.url, 'POST', '/api/webhooks/inbound?wait=0', { key: account.flowKey, body });
    const callbackUrl = receiver.url('/hook');
    await create(uniqueRequest({ summary: 'left to expire', callbackUrl }));
    clock.advance(25 * 60 * 60 * 1000);
    const byAgent = await create(uniqueRequest({ callbackUrl }));
    const decided = await call(cb.url, 'POST', `/api/agent/approvals/${byAgent.body.approvalId}/decision`, {
      key: account.agentKey,
      body: { decision: 'approve', note: 'Half', modifiedDetails: { ...byAgent.body.details, amount: 12 }, agent },
    });
    expect(decided.status).toBe(200);
    await create(uniqueRequest({ action: 'auto_refund', callbackUrl }));
    expect((await cb.sweepNow()).expired).toBe(1);
    const received = await receiver.waitForRequests(3, 15_000);

    const wh = new Webhook(account.signingSecret);
    const strict = CallbackBodySchema.strict();
    // The receiver's clock is the gateway's (moved 25 h on): the 5-minute timestamp window checks against it.
    vi.useFakeTimers({ toFake: ['Date'] });
    let bodies: z.output<typeof strict>[];
    try {
      vi.setSystemTime(clock.now());
      bodies = received.map((r) => strict.parse(wh.verify(r.body, r.headers as Record<string, string>)));
    } finally {
      vi.useRealTimers();
    }
    expect(bodies.map((b) => b.decidedBy.type).sort()).toEqual(['agent', 'expiry', 'policy']);
    expect(bodies.find((b) => b.decidedBy.type === 'agent')).toMatchObject({
      type: 'approval.decided',
      approvalId: byAgent.body.approvalId,
      status: 'approved',
      decisionNote: 'Half',
      modifiedDetails: { amount: 12 },
    });
    expect(bodies.find((b) => b.decidedBy.type === 'expiry')?.status).toBe('rejected');
  });

  it('When the OpenAPI document is read, then it publishes the callback as a 3.1 webhook: the shared schema as its body, the signature headers and what a 2xx means', async () => {
    const doc = (await call(cb.url, 'GET', '/api/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const hook = doc.webhooks?.['approval.decided']?.post;
    expect(hook?.requestBody?.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/CallbackBody',
    });
    expect(doc.components.schemas.CallbackBody).toEqual(
      JSON.parse(
        JSON.stringify(
          z.toJSONSchema(CallbackBodySchema, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }),
        ),
      ),
    );
    expect(doc.components.schemas.CallbackBody.required).toEqual(
      expect.arrayContaining(['type', 'approvalId', 'status', 'decidedBy', 'decidedAt', 'details']),
    );
    const headers = (hook.parameters as { name: string; in: string; required: boolean }[])
      .filter((p) => p.in === 'header' && p.required)
      .map((p) => p.name);
    expect(headers).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    expect(Object.keys(hook.responses)).toEqual(expect.arrayContaining(['2XX', '410']));
  });
});

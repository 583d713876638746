import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApprovalSchema } from '@cheqpoint/shared';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { rotateSigningSecret } from '../../server/src/callbacks/signing-secrets.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { until } from '../support/process.js';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../support/receiver.js';

type Keys = Awaited<ReturnType<TestGateway['createAccount']>>;

/** A receiver whose answers are chosen per path, so each test has its own endpoint. */
async function routedReceiver() {
  const routes = new Map<string, (n: number, req: ReceivedRequest) => Reply>();
  const receiver: Receiver = await startReceiver((req) => {
    const n = receiver.requests.filter((r) => r.path === req.path).length;
    return routes.get(req.path)?.(n, req) ?? { status: 200, body: 'ok' };
  });
  const at = (p: string) => receiver.requests.filter((r) => r.path === p);
  return { receiver, routes, at };
}

async function createWithCallback(gw: TestGateway, keys: Keys, callbackUrl: string) {
  const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    body: uniqueRequest({ callbackUrl }),
  });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

async function approve(gw: TestGateway, keys: Keys, approvalId: string, extra: Record<string, unknown> = {}) {
  const res = await call(gw.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
    key: keys.agentKey,
    body: { decision: 'approve', agent, ...extra },
  });
  expect(res.status).toBe(200);
  return res.body;
}

const getApproval = async (gw: TestGateway, keys: Keys, approvalId: string) =>
  (await call(gw.url, 'GET', `/api/approvals/${approvalId}`, { key: keys.flowKey })).body;

const callbackOf = async (gw: TestGateway, keys: Keys, approvalId: string) =>
  (await getApproval(gw, keys, approvalId)).callback;

const verifyWith = (secret: string, req: ReceivedRequest) =>
  new Webhook(secret).verify(req.body, req.headers as Record<string, string>);

/** Short, fixed retry delays so retries happen within a test. */
const FAST_SCHEDULE = [150, 150, 150, 150];

describe('Signed callbacks to a local receiver', () => {
  let gw: TestGateway;
  let keys: Keys;
  let rx: Awaited<ReturnType<typeof routedReceiver>>;

  beforeAll(async () => {
    rx = await routedReceiver();
    gw = await startTestGateway({
      label: 'callbacks',
      allowlist: [`127.0.0.1:${rx.receiver.port}`],
      random: () => 0.5,
      config: {
        CHEQPOINT_DISPATCH_INTERVAL_MS: 50,
        CHEQPOINT_CALLBACK_TIMEOUT_MS: 1_000,
        CHEQPOINT_CALLBACK_RETRY_SCHEDULE: FAST_SCHEDULE,
      },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => {
    await gw?.close();
    await rx?.receiver.close();
  });

  it('When an approval without callbackUrl is read, then callback is null; with one, pending until decided', async () => {
    const plain = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest(),
    });
    expect(ApprovalSchema.parse(plain.body).callback).toBeNull();
    const id = await createWithCallback(gw, keys, rx.receiver.url('/before'));
    expect(await callbackOf(gw, keys, id)).toEqual({
      status: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: null,
    });
  });

  it('When an agent decides, then the receiver gets one POST that verifies with standardwebhooks, with the documented body', async () => {
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t5-1'));
    const approval = await getApproval(gw, keys, id);
    const decided = await approve(gw, keys, id, {
      note: 'Offer pause instead',
      modifiedDetails: { ...approval.details, amount: 20, 'a.b': { $x: [[1]] } },
    });
    const [req] = await until(() => (rx.at('/t5-1').length ? rx.at('/t5-1') : null), 'the callback');
    const request = req as ReceivedRequest;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(`msg_${id}`);
    expect(request.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
    const payload = verifyWith(keys.signingSecret, request);
    expect(payload).toEqual(JSON.parse(request.body));
    expect(Object.keys(JSON.parse(request.body))).toEqual([
      'type',
      'approvalId',
      'status',
      'modifiedDetails',
      'decisionNote',
      'decidedBy',
      'decidedAt',
      'action',
      'details',
      'ticketId',
    ]);
    expect(JSON.parse(request.body)).toEqual({
      type: 'approval.decided',
      approvalId: id,
      status: 'approved',
      modifiedDetails: { ...approval.details, amount: 20, 'a.b': { $x: [[1]] } },
      decisionNote: 'Offer pause instead',
      decidedBy: { type: 'agent', id: '42', name: 'Ada Agent', email: 'ada@example.com', verified: false },
      decidedAt: decided.decidedAt,
      action: 'refund',
      details: approval.details,
      ticketId: '100',
    });
    const callback = await until(async () => {
      const c = await callbackOf(gw, keys, id);
      return c.status === 'delivered' ? c : null;
    }, 'delivered');
    expect(callback).toEqual({ status: 'delivered', attempts: 1, lastError: null, nextAttemptAt: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.at('/t5-1')).toHaveLength(1);
  });

  it('When one byte of the received body, timestamp or id is changed, then verification fails', async () => {
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t5-2'));
    await approve(gw, keys, id);
    const request = await until(() => rx.at('/t5-2')[0], 'the callback');
    const headers = request.headers as Record<string, string>;
    const wh = new Webhook(keys.signingSecret);
    expect(() => wh.verify(request.body, headers)).not.toThrow();
    const flipped = request.body.replace('"approved"', '"approvec"');
    expect(flipped).not.toBe(request.body);
    expect(() => wh.verify(flipped, headers)).toThrow();
    const ts = headers['webhook-timestamp'] as string;
    expect(() =>
      wh.verify(request.body, { ...headers, 'webhook-timestamp': `${ts.slice(0, -1)}${(Number(ts.at(-1)) + 1) % 10}` }),
    ).toThrow();
    expect(() => wh.verify(request.body, { ...headers, 'webhook-id': `${headers['webhook-id']}x` })).toThrow();
  });

  it('When the receiver fails twice then accepts, then the webhook-id is the same on every attempt and redeliver keeps it', async () => {
    rx.routes.set('/t5-3', (n) => (n <= 2 ? { status: 500, body: 'boom' } : { status: 200 }));
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t5-3'));
    await approve(gw, keys, id);
    await until(async () => (await callbackOf(gw, keys, id)).status === 'delivered', 'delivered');
    expect(await callbackOf(gw, keys, id)).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });

    const redeliver = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.agentKey });
    expect(redeliver.status).toBe(202);
    expect(ApprovalSchema.parse(redeliver.body).approvalId).toBe(id);
    await until(() => rx.at('/t5-3').length === 4, 'the redelivery');
    const ids = rx.at('/t5-3').map((r) => r.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set([`msg_${id}`]));
    for (const req of rx.at('/t5-3')) expect(verifyWith(keys.signingSecret, req)).toBeTruthy();
    expect(new Set(rx.at('/t5-3').map((r) => r.body)).size).toBe(1);
  });

  it('When the signing secret is rotated, then callbacks carry two signatures and either secret verifies', async () => {
    const other = await gw.createAccount('rotating');
    const rotated = await rotateSigningSecret(gw.conn, other.accountId, { overlapHours: 1 });
    expect(rotated?.secret).toMatch(/^whsec_/);
    const id = await createWithCallback(gw, other, rx.receiver.url('/t5-4'));
    await approve(gw, other, id);
    const req = await until(() => rx.at('/t5-4')[0], 'the callback');
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWith(other.signingSecret, req)).toBeTruthy();
    expect(verifyWith(rotated?.secret as string, req)).toBeTruthy();

    const expired = await rotateSigningSecret(gw.conn, other.accountId, { overlapHours: 0 });
    const id2 = await createWithCallback(gw, other, rx.receiver.url('/t5-4b'));
    await approve(gw, other, id2);
    const req2 = await until(() => rx.at('/t5-4b')[0], 'the second callback');
    expect(String(req2.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWith(expired?.secret as string, req2)).toBeTruthy();
    expect(() => verifyWith(rotated?.secret as string, req2)).toThrow();
  });

  it.each([
    ['500', { status: 500, body: 'x'.repeat(400) }, /^HTTP 500: x{200}$/],
    ['404', { status: 404 }, /^HTTP 404$/],
    [
      '302 to the metadata address',
      { status: 302, headers: { location: 'http://169.254.169.254/' } },
      /HTTP 302 \(redirects are not followed\)/,
    ],
    ['307', { status: 307, headers: { location: 'http://127.0.0.1:1/' } }, /HTTP 307/],
    ['a connection reset', { kind: 'reset' }, /Network error/],
    ['no answer within the timeout', { kind: 'hang' }, /No response within 1 s/],
  ] as [string, Reply, RegExp][])(
    'When the receiver answers with %s, then the attempt is recorded and retried on the schedule',
    async (label, reply, error) => {
      const p = `/t5-5-${label.split(' ')[0]}`;
      rx.routes.set(p, (n) => (n === 1 ? reply : { status: 200 }));
      const id = await createWithCallback(gw, keys, rx.receiver.url(p));
      await approve(gw, keys, id);
      const failed = await until(async () => {
        const c = await callbackOf(gw, keys, id);
        return c.attempts === 1 && c.status === 'pending' && c.lastError ? c : null;
      }, 'the failed attempt');
      expect(failed.lastError).toMatch(error);
      expect(new Date(failed.nextAttemptAt).getTime()).toBeGreaterThan(Date.now() - 5_000);
      await until(async () => (await callbackOf(gw, keys, id)).status === 'delivered', 'the retry');
      expect(await callbackOf(gw, keys, id)).toMatchObject({ status: 'delivered', attempts: 2 });
      expect(rx.at(p).map((r) => r.headers['webhook-id'])).toEqual([`msg_${id}`, `msg_${id}`]);
      expect(rx.receiver.requests.filter((r) => r.path === '/')).toHaveLength(0);
    },
  );

  it('When the receiver answers 410, then the callback is gone and never tried again', async () => {
    rx.routes.set('/t5-410', () => ({ status: 410 }));
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t5-410'));
    await approve(gw, keys, id);
    await until(async () => (await callbackOf(gw, keys, id)).status === 'gone', 'gone');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.at('/t5-410')).toHaveLength(1);
    expect(await callbackOf(gw, keys, id)).toEqual({
      status: 'gone',
      attempts: 1,
      lastError: 'HTTP 410',
      nextAttemptAt: null,
    });
  });

  it.each([
    [429, '120'],
    [503, 'HTTP-DATE'],
  ])('When the receiver answers %i with Retry-After, then the next attempt waits for it', async (status, header) => {
    const p = `/t5-ra-${status}`;
    rx.routes.set(p, () => ({
      status,
      headers: { 'retry-after': header === 'HTTP-DATE' ? new Date(Date.now() + 120_000).toUTCString() : header },
    }));
    const id = await createWithCallback(gw, keys, rx.receiver.url(p));
    await approve(gw, keys, id);
    const c = await until(async () => {
      const state = await callbackOf(gw, keys, id);
      return state.attempts === 1 && state.lastError ? state : null;
    }, 'the first attempt');
    const received = (rx.at(p)[0] as ReceivedRequest).receivedAt.getTime();
    const delay = new Date(c.nextAttemptAt).getTime() - received;
    expect(delay).toBeGreaterThan(115_000);
    expect(delay).toBeLessThan(125_000);
    expect(c.lastError).toBe(`HTTP ${status}`);
  });

  it('When the receiver streams a slow 50 MB answer, then only the first bytes are read and the attempt is recorded', async () => {
    rx.routes.set('/t5-7', () => ({ kind: 'slow-huge' }));
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t5-7'));
    await approve(gw, keys, id);
    await until(async () => (await callbackOf(gw, keys, id)).status === 'delivered', 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.receiver.bytesStreamed()).toBeLessThan(4 * 1024 * 1024);
  });

  it('When the receiver is down for 3 attempts, then the 4th delivers it, with attempts and lastError recorded on the way', async () => {
    const down = await startReceiver();
    const port = down.port;
    await down.stop();
    const local = await startTestGateway({
      label: 'receiver_down',
      allowlist: [`127.0.0.1:${port}`],
      random: () => 0.5,
      config: {
        CHEQPOINT_DISPATCH_INTERVAL_MS: 50,
        CHEQPOINT_CALLBACK_RETRY_SCHEDULE: [100, 100, 2_000, 100],
      },
    });
    const keys = await local.createAccount();
    const { Decision } = approvalModels(local.conn);
    try {
      const res = await call(local.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl: `http://127.0.0.1:${port}/t7-8` }),
      });
      const id = res.body.approvalId as string;
      await approve(local, keys, id);
      await until(async () => {
        const d = (await Decision.findById(id).lean())?.delivery;
        return d?.attempts === 3 && d.leaseOwner === null;
      }, 'three finished attempts');
      const third = await callbackOf(local, keys, id);
      expect(third).toMatchObject({ status: 'pending', attempts: 3 });
      expect(third.lastError).toMatch(/ECONNREFUSED/);
      expect(new Date(third.nextAttemptAt).getTime()).toBeGreaterThan(Date.now());
      await down.restart();
      const req = (await down.waitForRequests(1, 10_000))[0] as ReceivedRequest;
      expect(req.headers['webhook-id']).toBe(`msg_${id}`);
      expect(verifyWith(keys.signingSecret, req)).toBeTruthy();
      await until(async () => (await callbackOf(local, keys, id)).status === 'delivered', 'delivered');
      expect(await callbackOf(local, keys, id)).toMatchObject({ status: 'delivered', attempts: 4, lastError: null });
    } finally {
      await local.close();
      await down.close();
    }
  });

  it('When another account or a flow key asks to redeliver, then 404 and 403; an undecided one is 422', async () => {
    const id = await createWithCallback(gw, keys, rx.receiver.url('/t2-2'));
    const stranger = await gw.createAccount('stranger');
    const foreign = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: stranger.agentKey });
    expect(foreign.status).toBe(404);
    const flow = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.flowKey });
    expect(flow.status).toBe(403);
    const early = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.agentKey });
    expect(early.status).toBe(422);
    expect(early.headers.get('content-type')).toMatch(/problem\+json/);
    const bad = await call(gw.url, 'POST', '/api/agent/approvals/not-an-id/redeliver', { key: keys.agentKey });
    expect(bad.status).toBe(404);
    const plain = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest(),
    });
    await approve(gw, keys, plain.body.approvalId);
    const none = await call(gw.url, 'POST', `/api/agent/approvals/${plain.body.approvalId}/redeliver`, {
      key: keys.agentKey,
    });
    expect(none.status).toBe(422);
    expect(rx.at('/t2-2')).toHaveLength(0);
  });
});

describe('The retry schedule with an injected clock', () => {
  let gw: TestGateway;
  let keys: Keys;
  let receiver: Receiver;
  const clock = movableClock();

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 500 }));
    gw = await startTestGateway({
      label: 'callback_clock',
      clock,
      allowlist: [`127.0.0.1:${receiver.port}`],
      random: () => 0,
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('When every attempt fails, then attempts follow the default schedule (jitter at -20 %) and end dead, visible in status; redeliver starts again', async () => {
    const id = await createWithCallback(gw, keys, receiver.url('/dead'));
    await approve(gw, keys, id);
    const { Decision } = approvalModels(gw.conn);
    const expected = [5, 60, 300, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800].map((s) => s * 1000 * 0.8);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const delivery = await until(async () => {
        const d = (await Decision.findById(id).lean())?.delivery;
        return d && d.attempts === attempt && d.leaseOwner === null ? d : null;
      }, `attempt ${attempt}`);
      expect(receiver.requests).toHaveLength(attempt);
      if (attempt === 10) {
        expect(delivery.state).toBe('dead');
        break;
      }
      expect(delivery.state).toBe('pending');
      const delay = (delivery.nextAttemptAt as Date).getTime() - (delivery.lastAttemptAt as Date).getTime();
      // The delay counts from the attempt's end and lastAttemptAt is its start, so the gap holds the attempt
      // itself (a few ms; more on a busy machine): at least the schedule's delay, and far from the next step's.
      expect(delay).toBeGreaterThanOrEqual(expected[attempt - 1] as number);
      expect(delay).toBeLessThan((expected[attempt - 1] as number) + 500);
      await new Promise((r) => setTimeout(r, 150));
      expect(receiver.requests).toHaveLength(attempt);
      clock.advance(delay);
    }
    const approval = await getApproval(gw, keys, id);
    expect(approval.status).toBe('approved');
    expect(approval.callback).toEqual({ status: 'dead', attempts: 10, lastError: 'HTTP 500', nextAttemptAt: null });
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([`msg_${id}`]));
    const timestamps = receiver.requests.map((r) => Number(r.headers['webhook-timestamp']));
    for (let i = 1; i < timestamps.length; i++) {
      expect(timestamps[i]).toBeGreaterThan(timestamps[i - 1] as number);
    }

    const again = await call(gw.url, 'POST', `/api/agent/approvals/${id}/redeliver`, { key: keys.agentKey });
    expect(again.status).toBe(202);
    expect(again.body.callback.status).toBe('pending');
    await until(() => receiver.requests.length === 11, 'the redelivery');
    expect(receiver.requests[10]?.headers['webhook-id']).toBe(`msg_${id}`);
    const after = await until(async () => {
      const c = await callbackOf(gw, keys, id);
      return c.attempts === 1 && c.status === 'pending' && c.lastError ? c : null;
    }, 'a fresh schedule');
    expect(after.lastError).toBe('HTTP 500');
  });
});

describe('The callback CLI', () => {
  const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const run = promisify(execFile);
  let gw: TestGateway;
  let keys: Keys;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver((_req, n) => (n === 1 ? { status: 410 } : { status: 200 }));
    gw = await startTestGateway({
      label: 'callback_cli',
      allowlist: [`127.0.0.1:${receiver.port}`],
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50 },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  const cli = async (...args: string[]) => {
    const { stdout } = await run(TSX, ['server/src/cli/cheqpoint.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MONGODB_URI: `${inject('mongodbUri')}${gw.conn.name}` },
    });
    return stdout;
  };

  it('When an operator rotates the secret and redelivers a gone callback from the CLI, then it is sent again with both signatures', async () => {
    const id = await createWithCallback(gw, keys, receiver.url('/cli'));
    await approve(gw, keys, id);
    await until(async () => (await callbackOf(gw, keys, id)).status === 'gone', 'gone');

    const rotated = JSON.parse(await cli('account', 'rotate-secret', keys.accountId, '--overlap-hours', '2', '--json'));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(new Date(rotated.previousExpiresAt).getTime() - Date.now()).toBeGreaterThan(7_100_000);
    expect(JSON.parse(await cli('callback', 'redeliver', id, '--json'))).toEqual({ approvalId: id, result: 'queued' });
    const req = (await receiver.waitForRequests(2))[1] as ReceivedRequest;
    expect(req.headers['webhook-id']).toBe(`msg_${id}`);
    expect(verifyWith(keys.signingSecret, req)).toBeTruthy();
    expect(verifyWith(rotated.secret, req)).toBeTruthy();
    await until(async () => (await callbackOf(gw, keys, id)).status === 'delivered', 'delivered');
  });
});

import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parsePolicy } from '@cheqpoint/shared';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { createLogger } from '../../server/src/lib/logger.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { runCli } from '../support/cli.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { agent, call } from '../support/http.js';
import { until, type GatewayProcess } from '../support/process.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../support/receiver.js';

const TOKEN = 'zd-test-token-5f1c0a9e7b';
const EMAIL = 'bot@acme.example';
const BASIC = `Basic ${Buffer.from(`${EMAIL}/token:${TOKEN}`).toString('base64')}`;
const BEARER = `Bearer ${TOKEN}`;
const APP_ID = 424242;
/** Who the test credentials sign in as (`GET /api/v2/users/me.json`), as Zendesk answers it. */
const ME = { id: 90001, name: 'Cheqpoint bot', email: EMAIL, role: 'admin' };
const ME_PATH = 'GET /api/v2/users/me.json';

/** Runs the CLI as `npm run cheqpoint -- …` does on database `dbName`, with extra env and optional stdin. */
const cliOn = (dbName: string, args: string[], env: Record<string, string> = {}, stdin?: string) =>
  runCli(dbName, args, { env, ...(stdin !== undefined ? { stdin } : {}) });

/**
 * A fake Zendesk (a real HTTP server): answers 401 without the account's credentials (the API token of
 * EMAIL, or TOKEN as an OAuth token), otherwise what `answer` says for the n-th request to that method
 * and path (default 200; `users/me` answers ME).
 */
async function startFakeZendesk() {
  const answers = new Map<string, (n: number) => Reply>([
    [ME_PATH, () => ({ status: 200, body: JSON.stringify({ user: ME }) })],
  ]);
  const keyOf = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
  const receiver: Receiver = await startReceiver((req) => {
    if (req.headers.authorization !== BASIC && req.headers.authorization !== BEARER) {
      return { status: 401, body: '{"error":"Couldn\'t authenticate you"}' };
    }
    const n = receiver.requests.filter((r) => keyOf(r) === keyOf(req)).length;
    return answers.get(keyOf(req))?.(n) ?? { status: 200, body: '{}' };
  });
  const json = (r: ReceivedRequest) => JSON.parse(r.body || '{}') as Record<string, any>;
  return {
    receiver,
    answers,
    url: `http://127.0.0.1:${receiver.port}`,
    /** Requests to one ticket's tags (PUT adds, DELETE removes). */
    tagCalls: (ticketId: string) => receiver.requests.filter((r) => r.path === `/api/v2/tickets/${ticketId}/tags.json`),
    notifications: () => receiver.requests.filter((r) => r.path === '/api/v2/apps/notify.json').map((r) => json(r)),
    notes: (ticketId: string) =>
      receiver.requests
        .filter((r) => r.method === 'PUT' && r.path === `/api/v2/tickets/${ticketId}.json`)
        .map((r) => json(r).ticket.comment as { body: string; public: boolean }),
  };
}
type FakeZendesk = Awaited<ReturnType<typeof startFakeZendesk>>;

let ticketSeq = 700_000 + Math.floor(Math.random() * 100_000);
const newTicket = () => String(ticketSeq++);

const intake = (baseUrl: string, keys: CreatedAccount, ticketId: string, extra: Record<string, unknown> = {}) =>
  call(baseUrl, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    body: {
      action: 'cancel_subscription',
      summary: `Cancel the subscription of ticket ${ticketId}`,
      details: { ticket_id: ticketId, n: Math.random() },
      ...extra,
    },
  });

const decide = (baseUrl: string, keys: CreatedAccount, approvalId: string, decision = 'approve') =>
  call(baseUrl, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
    key: keys.agentKey,
    body: { decision, agent, ...(decision === 'reject' ? { note: 'Not this time' } : {}) },
  });

const connect = (conn: Connection, accountId: string, url: string) =>
  zendeskConnections(conn).connect(accountId, {
    subdomain: 'acme',
    url,
    appId: APP_ID,
    auth: { kind: 'api-token', email: EMAIL, token: TOKEN },
  });

describe('Zendesk connection: tags, app notifications and notes', () => {
  let gw: TestGateway;
  let zd: FakeZendesk;
  let keys: CreatedAccount;
  const clock = movableClock();
  const lines: string[] = [];

  beforeAll(async () => {
    zd = await startFakeZendesk();
    gw = await startTestGateway({
      label: 'zendesk',
      clock,
      logger: createLogger('debug', (line) => lines.push(line)),
      config: {
        CHEQPOINT_DISPATCH_INTERVAL_MS: 50,
        CHEQPOINT_ZENDESK_RETRY_SCHEDULE: [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000],
        CHEQPOINT_CALLBACK_TIMEOUT_MS: 2_000,
        CHEQPOINT_CALLBACK_LEASE_MS: 5_000,
      },
    });
    keys = await gw.createAccount('zendesk-connected');
    await connect(gw.conn, keys.accountId, zd.url);
  });
  afterAll(async () => {
    await gw?.close();
    await zd?.receiver.close();
  });

  it('When an approval for a ticket arrives, then the ticket is tagged cheqpoint_pending and the app is notified', async () => {
    const ticket = newTicket();
    const created = await intake(gw.url, keys, ticket);
    expect(created.status).toBe(202);
    const [tag] = await until(() => (zd.tagCalls(ticket).length ? zd.tagCalls(ticket) : null), 'the tag');
    expect(tag?.method).toBe('PUT');
    expect(JSON.parse(tag?.body ?? '')).toEqual({ tags: ['cheqpoint_pending'] });
    const note = await until(
      () => zd.notifications().find((n) => n['body']?.approvalId === created.body.approvalId),
      'the notification',
    );
    expect(note).toEqual({
      app_id: APP_ID,
      event: 'cheqpoint_changed',
      body: { ticketId: ticket, approvalId: created.body.approvalId, change: 'created' },
    });
  });

  it('When one of two pending approvals of a ticket is decided, then the tag stays; after the last one it is removed', async () => {
    const ticket = newTicket();
    const first = (await intake(gw.url, keys, ticket)).body.approvalId as string;
    const second = (await intake(gw.url, keys, ticket)).body.approvalId as string;
    await until(() => zd.tagCalls(ticket).length >= 2, 'both tags');

    expect((await decide(gw.url, keys, first)).status).toBe(200);
    await until(
      () => zd.notifications().some((n) => n['body']?.approvalId === first && n['body']?.change === 'decided'),
      'the first decision notified',
    );
    // The untag of the first decision looked at the ticket and found the second one pending.
    await new Promise((r) => setTimeout(r, 400));
    expect(zd.tagCalls(ticket).filter((r) => r.method === 'DELETE')).toHaveLength(0);

    expect((await decide(gw.url, keys, second, 'reject')).status).toBe(200);
    const removal = await until(() => zd.tagCalls(ticket).find((r) => r.method === 'DELETE'), 'the tag removed');
    expect(JSON.parse(removal.body)).toEqual({ tags: ['cheqpoint_pending'] });
    // A person's decision gets the sidebar's own note, not one from the gateway.
    expect(zd.notes(ticket)).toEqual([]);
  });

  it('When a policy decides at intake, then the ticket gets an internal note saying so and ends untagged', async () => {
    const policyKeys = await gw.createAccount('zendesk-policy');
    await connect(gw.conn, policyKeys.accountId, zd.url);
    const policy = parsePolicy({
      rules: [{ name: 'small-cancellations', action: 'cancel_subscription', outcome: 'approve' }],
    });
    if (!policy.success) throw new Error('policy does not parse');
    await policiesRepository(gw.conn).setPolicy(policyKeys.accountId, policy.data);

    const ticket = newTicket();
    const created = await intake(gw.url, policyKeys, ticket);
    expect(created.status).toBe(200);
    expect(created.body.status).toBe('approved');
    const [note] = await until(() => (zd.notes(ticket).length ? zd.notes(ticket) : null), 'the note');
    expect(note?.public).toBe(false);
    expect(note?.body).toBe(
      `Cheqpoint: “Cancel the subscription of ticket ${ticket}” was approved automatically by the account’s approval policy (rule small-cancellations; cancel_subscription, ${created.body.approvalId}).`,
    );
    await until(
      () =>
        zd
          .notifications()
          .some((n) => n['body']?.approvalId === created.body.approvalId && n['body']?.change === 'decided'),
      'the decision notified',
    );
    // Whether the tag went out before the policy's decision or not, the last word on the ticket removes it.
    await until(() => {
      const calls = zd.tagCalls(ticket);
      return calls.length === 0 || calls.at(-1)?.method === 'DELETE';
    }, 'the ticket untagged');
  });

  it('When an approval expires, then the ticket gets an internal note saying it expired, and the tag is removed', async () => {
    const ticket = newTicket();
    const created = await intake(gw.url, keys, ticket);
    expect(created.status).toBe(202);
    await until(() => zd.tagCalls(ticket).length === 1, 'the tag');
    clock.advance(24 * 60 * 60_000 + 1_000);
    await gw.sweepNow();
    const [note] = await until(() => (zd.notes(ticket).length ? zd.notes(ticket) : null), 'the note');
    expect(note).toEqual({
      body: `Cheqpoint: “Cancel the subscription of ticket ${ticket}” expired before anyone decided, so it was rejected (cancel_subscription, ${created.body.approvalId}).\nNote: Expired: nobody decided within 24 h.`,
      public: false,
    });
    await until(() => zd.tagCalls(ticket).some((r) => r.method === 'DELETE'), 'the tag removed');
  });

  it('When Zendesk answers 503 and then 429 with Retry-After, then the tag is sent again after the wait asked for', async () => {
    const ticket = newTicket();
    zd.answers.set(`PUT /api/v2/tickets/${ticket}/tags.json`, (n) =>
      n === 1
        ? { status: 503 }
        : n === 2
          ? { status: 429, headers: { 'retry-after': '1' }, body: '{"error":"TooManyRequests"}' }
          : { status: 200, body: '{}' },
    );
    await intake(gw.url, keys, ticket);
    const calls = await until(
      () => (zd.tagCalls(ticket).length >= 3 ? zd.tagCalls(ticket) : null),
      'three attempts',
      10_000,
    );
    const [, second, third] = calls;
    expect(third!.receivedAt.getTime() - second!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);
    await new Promise((r) => setTimeout(r, 300));
    expect(zd.tagCalls(ticket)).toHaveLength(3);
  });

  it('When an approval is decided while its tag is still on its way, then the removal follows the tag at once', async () => {
    const ticket = newTicket();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    zd.answers.set(`PUT /api/v2/tickets/${ticket}/tags.json`, () => ({ kind: 'hold', release: held }));
    const created = await intake(gw.url, keys, ticket);
    await until(() => zd.tagCalls(ticket).length === 1, 'the tag on its way');
    expect((await decide(gw.url, keys, created.body.approvalId)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(zd.tagCalls(ticket).map((r) => r.method)).toEqual(['PUT']);
    const releasedAt = Date.now();
    release();
    const removal = await until(() => zd.tagCalls(ticket).find((r) => r.method === 'DELETE'), 'the tag removed');
    // Well before the tag's lease (5 s here) or the untag's longest wait would have let it go.
    expect(removal.receivedAt.getTime() - releasedAt).toBeLessThan(1_500);
    expect(zd.tagCalls(ticket).map((r) => r.method)).toEqual(['PUT', 'DELETE']);
  });

  it('When Zendesk answers a 4xx other than 429, then the effect is given up after one attempt and logged', async () => {
    const ticket = newTicket();
    zd.answers.set(`PUT /api/v2/tickets/${ticket}/tags.json`, () => ({
      status: 422,
      body: '{"error":"RecordInvalid"}',
    }));
    const created = await intake(gw.url, keys, ticket);
    await until(
      () => lines.some((l) => l.includes('"zendesk effect given up"') && l.includes(created.body.approvalId)),
      'the give-up logged',
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(zd.tagCalls(ticket)).toHaveLength(1);
  });

  it('When Zendesk is down, then approvals are taken and answered as usual and every effect arrives once it is back', async () => {
    await zd.receiver.stop();
    try {
      const [stays, decided] = [newTicket(), newTicket()];
      // answered while Zendesk is still down (it comes back only below): nothing waits for its effects
      const pending = await intake(gw.url, keys, stays);
      expect(pending.status).toBe(202);
      const created = await intake(gw.url, keys, decided);
      expect(created.status).toBe(202);
      const answer = await decide(gw.url, keys, created.body.approvalId);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('approved');
      expect(zd.tagCalls(stays)).toEqual([]);
      const isRetried = (l: string) => l.includes('"state":"retry"') && l.includes(pending.body.approvalId);
      await until(() => lines.some(isRetried), 'a retry');
      await zd.receiver.restart();
      await until(() => zd.tagCalls(stays).length > 0, 'the pending one tagged once Zendesk is back', 10_000);
      await until(
        () => zd.tagCalls(decided).some((r) => r.method === 'DELETE'),
        'the decided one untagged once Zendesk is back',
        10_000,
      );
      expect(zd.tagCalls(stays).map((r) => r.method)).toEqual(['PUT']);
      // Decided before its tag could go out: the tag is not put, only removed (in case it was there).
      expect(zd.tagCalls(decided).map((r) => r.method)).toEqual(['DELETE']);
      const changes = (id: string) =>
        zd
          .notifications()
          .filter((n) => n['body']?.approvalId === id)
          .map((n) => n['body'].change)
          .sort();
      await until(() => changes(created.body.approvalId).length === 2, 'both notifications');
      expect(changes(created.body.approvalId)).toEqual(['created', 'decided']);
      expect(changes(pending.body.approvalId)).toEqual(['created']);
    } finally {
      await zd.receiver.restart().catch(() => {});
    }
  });

  it('When an account has no Zendesk connection, then nothing is sent to Zendesk', async () => {
    const plain = await gw.createAccount('zendesk-not-connected');
    const ticket = newTicket();
    const created = await intake(gw.url, plain, ticket);
    await decide(gw.url, plain, created.body.approvalId);
    await new Promise((r) => setTimeout(r, 600));
    expect(zd.tagCalls(ticket)).toHaveLength(0);
    expect(zd.notifications().some((n) => n['body']?.approvalId === created.body.approvalId)).toBe(false);
  });

  it('When the credentials are wrong, then Zendesk says 401, the effect is given up and the approval is unaffected', async () => {
    const wrong = await gw.createAccount('zendesk-wrong-token');
    await zendeskConnections(gw.conn).connect(wrong.accountId, {
      subdomain: 'acme',
      url: zd.url,
      appId: APP_ID,
      auth: { kind: 'oauth', token: 'not-the-token' },
    });
    const ticket = newTicket();
    const created = await intake(gw.url, wrong, ticket);
    expect(created.status).toBe(202);
    const [tag] = await until(() => (zd.tagCalls(ticket).length ? zd.tagCalls(ticket) : null), 'the tag attempt');
    expect(tag?.headers.authorization).toBe('Bearer not-the-token');
    await until(
      () => lines.some((l) => l.includes('"zendesk effect given up"') && l.includes('HTTP 401')),
      'the 401 logged',
    );
  });

  it('When an effect fails (a token revoked after connect), then zendesk show tells when, which effect and the status, and no secret', async () => {
    const revoked = await gw.createAccount('zendesk-revoked-token');
    await zendeskConnections(gw.conn).connect(revoked.accountId, {
      subdomain: 'acme',
      url: zd.url,
      appId: APP_ID,
      auth: { kind: 'oauth', token: 'revoked-token-3b9d' },
    });
    const before = await cliOn(gw.conn.name, ['zendesk', 'show', revoked.accountId]);
    expect(before.stdout).toContain('last failure: none');
    const ticket = newTicket();
    const created = await intake(gw.url, revoked, ticket);
    const approvalId = created.body.approvalId as string;
    const isGivenUp = (l: string) => l.includes('"zendesk effect given up"') && l.includes(approvalId);
    await until(() => lines.filter(isGivenUp).length >= 2, 'the tag and the notification given up');

    const shown = await cliOn(gw.conn.name, ['zendesk', 'show', revoked.accountId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/last failure: \d{4}-\d\d-\d\dT[\d:.]+Z, HTTP 401 \(given up\)/);
    expect(shown.stdout).toMatch(new RegExp(`(tag|notify-created) of ${approvalId} \\(ticket ${ticket}\\), attempt 1`));
    const json = JSON.parse((await cliOn(gw.conn.name, ['zendesk', 'show', revoked.accountId, '--json'])).stdout);
    expect(json.lastFailure).toMatchObject({
      approvalId,
      ticketId: ticket,
      httpStatus: 401,
      state: 'failed',
      attempt: 1,
    });
    expect(['tag', 'notify-created']).toContain(json.lastFailure.effect);
    expect(new Date(json.lastFailure.at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(json).not.toHaveProperty('secret');
    expect(shown.stdout + JSON.stringify(json)).not.toContain('revoked-token-3b9d');
  });

  it('When effects were sent and failed, then the token appears in no log line and not in /metrics', async () => {
    expect(lines.some((l) => l.includes('"zendesk effect attempted"'))).toBe(true);
    const everything = lines.join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(BASIC.slice('Basic '.length));
    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/cheqpoint_zendesk_effects_total\{effect="tag",state="done"\} \d+/);
    expect(metrics).not.toContain(TOKEN);
  });
});

describe('Zendesk effects with two gateway processes', () => {
  let procs: TwoGatewayProcesses | undefined;
  let keys: CreatedAccount;
  let zd: FakeZendesk;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    zd = await startFakeZendesk();
    procs = await startTwoGatewayProcesses(
      'zd_two_procs',
      {
        CHEQPOINT_DISPATCH_INTERVAL_MS: '50',
        CHEQPOINT_CALLBACK_TIMEOUT_MS: '2000',
        CHEQPOINT_CALLBACK_LEASE_MS: '10000',
        LOG_LEVEL: 'info',
      },
      (db, account) => connect(db, account.accountId, zd.url),
    );
    ({ keys, a, b } = procs);
  });
  afterAll(async () => {
    await procs?.close();
    await zd?.receiver.close();
  });

  it('When approvals are taken and decided across both, then each tag, removal and notification is sent exactly once', async () => {
    const tickets = Array.from({ length: 8 }, () => newTicket());
    const ids = await Promise.all(
      tickets.map(async (ticket, i) => (await intake(i % 2 ? a.url : b.url, keys, ticket)).body.approvalId as string),
    );
    await until(() => tickets.every((t) => zd.tagCalls(t).length > 0), 'every ticket tagged');
    await Promise.all(ids.map((id, i) => decide(i % 2 ? b.url : a.url, keys, id)));
    await until(() => tickets.every((t) => zd.tagCalls(t).some((r) => r.method === 'DELETE')), 'every tag removed');
    // Both dispatchers poll every 50 ms: give a duplicate time to show.
    await new Promise((r) => setTimeout(r, 1_000));
    for (const ticket of tickets) expect(zd.tagCalls(ticket).map((r) => r.method)).toEqual(['PUT', 'DELETE']);
    for (const id of ids) {
      const mine = zd.notifications().filter((n) => n['body']?.approvalId === id);
      expect(mine.map((n) => n['body'].change).sort()).toEqual(['created', 'decided']);
    }
    expect(a.output() + b.output()).not.toContain(TOKEN);
    expect(a.output() + b.output()).toContain('zendesk effect attempted');
  });
});

describe('zendesk CLI', () => {
  const dbName = uniqueDbName('zd_cli');
  let conn: Connection;
  let keys: CreatedAccount;
  let zd: FakeZendesk;
  const cli = (args: string[], env: Record<string, string> = {}, stdin?: string) => cliOn(dbName, args, env, stdin);
  /** `zendesk connect` of an account with an API token from ZD_TOKEN (`token`), against the fake. */
  const connectCli = (accountId: string, token: string, extra: string[] = []) =>
    cli(
      [
        'zendesk',
        'connect',
        accountId,
        '--subdomain',
        'acme',
        '--url',
        zd.url,
        '--email',
        EMAIL,
        '--api-token-env',
        'ZD_TOKEN',
        '--app-id',
        String(APP_ID),
        ...extra,
      ],
      { ZD_TOKEN: token },
    );

  beforeAll(async () => {
    zd = await startFakeZendesk();
    conn = await connectDatabase(inject('mongodbUri'), dbName);
    keys = await accountsService(conn).createAccount('zendesk-cli');
  });
  afterAll(async () => {
    await conn?.dropDatabase().catch(() => {});
    await conn?.close();
    await zd?.receiver.close();
  });

  it('When an account is connected with a token from an env var, then connect says as whom and which role, and show and connect print everything but the token', async () => {
    const connected = await connectCli(keys.accountId, TOKEN);
    expect(connected.stderr).toBe('');
    expect(connected.code).toBe(0);
    expect(connected.stdout).toContain(`API:       ${zd.url}`);
    expect(connected.stdout).toContain(
      `Zendesk accepts the token: it signs in as Cheqpoint bot <${EMAIL}> (user ${ME.id}), an admin: tags, internal notes and app notifications (notify-app) are allowed.`,
    );
    const [check] = zd.receiver.requests.filter((r) => r.path === '/api/v2/users/me.json');
    expect(check?.headers.authorization).toBe(BASIC);
    const shown = await cli(['zendesk', 'show', keys.accountId, '--json']);
    expect(shown.code).toBe(0);
    const view = JSON.parse(shown.stdout);
    expect(view).toMatchObject({
      accountId: keys.accountId,
      subdomain: 'acme',
      baseUrl: zd.url,
      appId: APP_ID,
      authKind: 'api-token',
      email: EMAIL,
      lastFailure: null,
    });
    expect(view).not.toHaveProperty('secret');
    for (const out of [connected, shown]) expect(out.stdout + out.stderr).not.toContain(TOKEN);
    const stored = await zendeskConnections(conn).find(keys.accountId);
    expect(stored?.secret).toBe(TOKEN);
  });

  it('When an OAuth token comes on stdin with a loopback --url, then it is stored; plain http elsewhere is refused', async () => {
    const ok = await cli(
      [
        'zendesk',
        'connect',
        keys.accountId,
        '--subdomain',
        'acme',
        '--oauth-token-stdin',
        '--app-id',
        '7',
        '--url',
        zd.url,
        '--json',
      ],
      {},
      `${TOKEN}\n`,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      authKind: 'oauth',
      email: null,
      baseUrl: zd.url,
      appId: 7,
      zendeskUser: { id: ME.id, role: 'admin' },
    });
    expect(ok.stdout).not.toContain(TOKEN);
    const refused = await cli(
      [
        'zendesk',
        'connect',
        keys.accountId,
        '--subdomain',
        'acme',
        '--oauth-token-env',
        'ZD_TOKEN',
        '--app-id',
        '7',
        '--url',
        'http://zendesk.example.com',
      ],
      { ZD_TOKEN: TOKEN },
    );
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('--url must be https');
    expect(refused.stderr).not.toContain(TOKEN);
    const missing = await cli([
      'zendesk',
      'connect',
      keys.accountId,
      '--subdomain',
      'acme',
      '--api-token-env',
      'ZD_UNSET',
      '--email',
      EMAIL,
      '--app-id',
      '7',
    ]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('ZD_UNSET is not set');
  });

  it('When zendesk connect gets a token Zendesk refuses, then it fails saying so and the stored connection stays as it was', async () => {
    const before = await zendeskConnections(conn).show(keys.accountId);
    expect(before).not.toBeNull();
    const refused = await connectCli(keys.accountId, 'dummytoken123');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Zendesk refused the API token of ${EMAIL} (HTTP 401)`);
    expect(refused.stderr).toContain('Not connected: the stored connection is unchanged.');
    expect(refused.stdout).toBe('');
    expect(refused.stdout + refused.stderr).not.toContain('dummytoken123');
    expect(await zendeskConnections(conn).show(keys.accountId)).toEqual(before);
    expect((await zendeskConnections(conn).find(keys.accountId))?.secret).toBe(TOKEN);

    const fresh = await accountsService(conn).createAccount('zendesk-cli-fresh');
    const first = await connectCli(fresh.accountId, 'dummytoken123');
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('Not connected: nothing was stored.');
    expect((await cli(['zendesk', 'show', fresh.accountId])).stderr).toContain('has no Zendesk connection');
  });

  it('When Zendesk cannot be reached or the token belongs to an agent, then connect says so (an agent is connected, with the notify-app warning)', async () => {
    const unreachable = await cli(
      [
        ...['zendesk', 'connect', keys.accountId, '--subdomain', 'acme', '--url', 'http://127.0.0.1:9'],
        ...['--oauth-token-env', 'ZD_TOKEN', '--app-id', '7'],
      ],
      { ZD_TOKEN: TOKEN },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Could not reach Zendesk at http://127.0.0.1:9 (network error)');

    zd.answers.set(ME_PATH, () => ({ status: 200, body: JSON.stringify({ user: { ...ME, role: 'agent' } }) }));
    try {
      const agentToken = await connectCli(keys.accountId, TOKEN);
      expect(agentToken.code).toBe(0);
      expect(agentToken.stdout).toContain('an agent, not an admin: Zendesk allows notify-app to admins only');
      // Zendesk's answer for a caller it did not sign in: an anonymous end user, not a 401
      zd.answers.set(ME_PATH, () => ({
        status: 200,
        body: JSON.stringify({ user: { id: null, name: 'Anonymous user', role: 'end-user' } }),
      }));
      const anonymous = await connectCli(keys.accountId, TOKEN);
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toContain('Zendesk refused');
    } finally {
      zd.answers.set(ME_PATH, () => ({ status: 200, body: JSON.stringify({ user: ME }) }));
    }
  });

  it('When the connection is removed, then show says there is none', async () => {
    const removed = await cli(['zendesk', 'disconnect', keys.accountId]);
    expect(removed.code).toBe(0);
    const shown = await cli(['zendesk', 'show', keys.accountId]);
    expect(shown.code).toBe(64);
    expect(shown.stderr).toContain('has no Zendesk connection');
  });
});

import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy, type Policy } from '@cheqpoint/shared';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { zendeskVerifications } from '../../server/src/zendesk/verifications.js';
import { createSignedUrls, signJwt, signedUrlClaims, type ISignedUrls } from '../../zendesk-app/harness/signed-urls.js';
import { movableClock } from '../support/clock.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call } from '../support/http.js';

/** Zendesk's people, as its users and user-groups endpoints answer for them. */
const PEOPLE = {
  ada: { id: 381, name: 'Ada Lovelace', email: 'ada@example.com', role: 'agent', groups: ['Support'] },
  grace: {
    id: 382,
    name: 'Grace Hopper',
    email: 'grace@example.com',
    role: 'agent',
    groups: ['Support', 'team LEADS'],
  },
  margaret: { id: 383, name: 'Margaret Hamilton', email: 'margaret@example.com', role: 'admin', groups: ['Support'] },
  katherine: {
    id: 384,
    name: 'Katherine Johnson',
    email: 'katherine@example.com',
    role: 'agent',
    groups: ['Team leads'],
  },
  eve: { id: 390, name: 'Eve End-User', email: 'eve@example.com', role: 'end-user', groups: [] },
} as const;
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

const POLICY = policyOf({
  rules: [
    {
      name: 'big-refunds',
      action: 'refund',
      conditions: { amount: { gt: 200 } },
      outcome: 'require_human',
      deciders: { groups: ['Team leads'], label: 'Needs a team lead' },
      escalation: { afterSeconds: 3600, deciders: { roles: ['admin'] }, priority: 'urgent', notifyGroup: 'Team leads' },
    },
    { name: 'deletes', action: 'delete_account', outcome: 'require_human', deciders: { roles: ['admin'] } },
    {
      name: 'four-eyes-credit',
      action: 'credit',
      outcome: 'require_human',
      approvals: 2,
      deciders: { groups: ['Team leads'], roles: ['admin'] },
    },
  ],
});

function policyOf(input: unknown): Policy {
  const parsed = parsePolicy(input);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.errors));
  return parsed.data;
}

/** A stand-in for Zendesk's REST API: users, their groups, ticket updates and app notifications. */
async function startZendesk() {
  const requests: { method: string; path: string; body: unknown }[] = [];
  const state = { isDown: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const pathname = new URL(req.url ?? '/', 'http://zd').pathname;
      requests.push({ method: req.method ?? 'GET', path: pathname, body: text ? JSON.parse(text) : null });
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (
        req.headers.authorization !== `Basic ${Buffer.from('cheqpoint@acme.test/token:zd-token').toString('base64')}`
      ) {
        return reply(401, { error: "Couldn't authenticate you" });
      }
      if (state.isDown) return reply(503, { error: 'Service unavailable' });
      const person = Object.values(PEOPLE).find((p) => pathname.startsWith(`/api/v2/users/${p.id}`));
      if (pathname.startsWith('/api/v2/users/')) {
        if (!person) return reply(404, { error: 'RecordNotFound' });
        if (pathname.endsWith('/groups.json')) {
          return reply(200, { groups: person.groups.map((name, i) => ({ id: 100 + i, name })), next_page: null });
        }
        return reply(200, { user: { id: person.id, name: person.name, email: person.email, role: person.role } });
      }
      reply(200, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, state, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const clock = movableClock();
let gw: TestGateway;
let zd: Awaited<ReturnType<typeof startZendesk>>;
let appDir: string;
let account: CreatedAccount;
let unverified: CreatedAccount;
let unconnected: CreatedAccount;
let signer: ISignedUrls;
let otherSigner: ISignedUrls;

const connect = (accountId: string) =>
  zendeskConnections(gw.conn).connect(accountId, {
    subdomain: 'acme',
    url: zd.url,
    appId: 1,
    auth: { kind: 'api-token', email: 'cheqpoint@acme.test', token: 'zd-token' },
  });

beforeAll(async () => {
  zd = await startZendesk();
  appDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-app-'));
  writeFileSync(path.join(appDir, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  gw = await startTestGateway({ label: 'authority', clock, config: { CHEQPOINT_APP_DIR: appDir } });
  [account, unverified, unconnected] = await Promise.all([
    gw.createAccount('authority'),
    gw.createAccount('authority-unverified'),
    gw.createAccount('authority-unconnected'),
  ]);
  signer = createSignedUrls({ subdomain: 'acme', installationId: '360101' });
  otherSigner = createSignedUrls({ subdomain: 'acme', installationId: '360102' });
  const verifications = zendeskVerifications(gw.conn);
  await verifications.configure(account.accountId, {
    publicKeyPem: signer.publicKeyPem,
    installationId: signer.installationId,
    subdomain: 'acme',
  });
  await verifications.configure(unconnected.accountId, {
    publicKeyPem: otherSigner.publicKeyPem,
    installationId: otherSigner.installationId,
    subdomain: 'acme',
  });
  await Promise.all([connect(account.accountId), connect(unverified.accountId)]);
  const policies = policiesRepository(gw.conn);
  await Promise.all([account, unverified, unconnected].map((a) => policies.setPolicy(a.accountId, POLICY)));
});
afterAll(async () => {
  await gw?.close();
  await zd?.close();
  rmSync(appDir, { recursive: true, force: true });
});

/** The session the app page carries when Zendesk loads it for `person` (signed URLs), as of the gateway's clock. */
async function sessionOf(person: Person, with_ = signer): Promise<string> {
  const token = signJwt(with_.privateKey, signedUrlClaims(with_, person, 'ticket_sidebar', clock.now().getTime()));
  const res = await fetch(`${gw.url}/zendesk/app/index.html`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  const session = /<meta name="cheqpoint-session" content="([^"]+)">/.exec(await res.text())?.[1];
  if (!session) throw new Error(`no session for ${person.name} (${res.status})`);
  return session;
}

let ticket = 7000;
async function request(of: CreatedAccount, action: string, details: Record<string, unknown>) {
  const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: of.flowKey,
    body: {
      action,
      summary: `${action} ${JSON.stringify(details)}`,
      details: { ticket_id: String(++ticket), ...details },
    },
  });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

function decide(
  of: CreatedAccount,
  approvalId: string,
  person: Person,
  session: string | null,
  decision: 'approve' | 'reject' = 'approve',
) {
  return call(gw.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
    key: of.agentKey,
    body: {
      decision,
      ...(decision === 'reject' ? { note: 'Not this time' } : {}),
      agent: { id: String(person.id), name: person.name, email: person.email },
    },
    headers: session ? { 'x-cheqpoint-session': session } : {},
  });
}

const read = async (of: CreatedAccount, approvalId: string) =>
  (await call(gw.url, 'GET', `/api/approvals/${approvalId}`, { key: of.agentKey })).body;
const events = async (of: CreatedAccount, approvalId: string) =>
  (await call(gw.url, 'GET', `/api/approvals/${approvalId}/events`, { key: of.agentKey })).body.events as {
    type: string;
    actor: Record<string, unknown>;
    data: Record<string, unknown>;
  }[];

async function until<T>(probe: () => T | null | false | Promise<T | null | false>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('Approval authority', () => {
  it('When an agent without the Team leads group decides a 500 refund, then 403 names the requirement, and nothing is recorded; a team lead then approves it, verified, with the group that allowed it in decidedBy and the audit trail', async () => {
    const id = await request(account, 'refund', { amount: 500, currency: 'EUR' });
    const approval = await read(account, id);
    expect(approval.policy).toMatchObject({
      rule: 'big-refunds',
      deciders: { groups: ['Team leads'], label: 'Needs a team lead' },
    });
    const ada = await sessionOf(PEOPLE.ada);
    for (const decision of ['approve', 'reject'] as const) {
      const refused = await decide(account, id, PEOPLE.ada, ada, decision);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        reason: 'lacks-authority',
        requirement: { groups: ['Team leads'], label: 'Needs a team lead' },
        errors: [{ path: 'agent' }],
      });
      expect(refused.body.detail).toContain('Needs a team lead');
      expect(refused.body.detail).toContain('members of Team leads');
      expect(refused.body.detail).toContain('Ada Lovelace: agent, groups Support');
    }
    expect((await read(account, id)).status).toBe('pending');
    expect((await events(account, id)).map((e) => e.type)).toEqual(['requested', 'policy_evaluated']);

    const approved = await decide(account, id, PEOPLE.grace, await sessionOf(PEOPLE.grace));
    expect(approved.status).toBe(200);
    expect(approved.body.decidedBy).toEqual({
      type: 'agent',
      id: '382',
      name: 'Grace Hopper',
      email: 'grace@example.com',
      verified: true,
      authority: 'group:team LEADS',
    });
    const decided = (await events(account, id)).find((e) => e.type === 'decided');
    expect(decided?.actor).toEqual({ type: 'agent', id: '382', name: 'Grace Hopper', verified: true });
    expect(decided?.data).toMatchObject({ outcome: 'approved', authority: 'group:team LEADS' });
  });

  it('When the request is below the rule, then any verified agent decides as before (no authority recorded)', async () => {
    const id = await request(account, 'refund', { amount: 50, currency: 'EUR' });
    const res = await decide(account, id, PEOPLE.ada, await sessionOf(PEOPLE.ada));
    expect(res.status).toBe(200);
    expect(res.body.decidedBy).toEqual({
      type: 'agent',
      id: '381',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      verified: true,
    });
    expect(res.body.policy.deciders).toBeUndefined();
  });

  it('When delete_account needs an admin, then a team lead gets 403 and an admin decides it (role:admin)', async () => {
    const id = await request(account, 'delete_account', { customer: 'c_1' });
    const grace = await decide(account, id, PEOPLE.grace, await sessionOf(PEOPLE.grace));
    expect(grace.status).toBe(403);
    expect(grace.body.detail).toMatch(/^Needs an admin: only admins may decide/);
    const margaret = await decide(account, id, PEOPLE.margaret, await sessionOf(PEOPLE.margaret));
    expect(margaret.status).toBe(200);
    expect(margaret.body.decidedBy).toMatchObject({ id: '383', verified: true, authority: 'role:admin' });
  });

  it('When the decision request claims a team lead with the session of another agent, then it is refused and the approval stays pending', async () => {
    const id = await request(account, 'refund', { amount: 900 });
    const forged = await decide(account, id, PEOPLE.grace, await sessionOf(PEOPLE.ada));
    expect(forged.status).toBe(403);
    expect(forged.body.detail).toContain('differs from the Zendesk-verified user');
    const bare = await decide(account, id, PEOPLE.grace, null);
    expect(bare.status).toBe(401);
    expect((await read(account, id)).status).toBe('pending');
  });

  it('When Zendesk says the person is an end user or does not know them, then 403 lacks-authority', async () => {
    const id = await request(account, 'delete_account', { customer: 'c_2' });
    const res = await decide(account, id, PEOPLE.eve, await sessionOf(PEOPLE.eve));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'lacks-authority' });
    expect(res.body.detail).toContain('not a Zendesk agent or admin');
  });

  it('When approvers are not verified, or the account has no Zendesk connection, then nobody may decide an approval that needs authority (403 authority-unverifiable saying what to set up); others decide as before', async () => {
    const plainId = await request(unverified, 'refund', { amount: 500 });
    const plain = await decide(unverified, plainId, PEOPLE.grace, null);
    expect(plain.status).toBe(403);
    expect(plain.body).toMatchObject({ reason: 'authority-unverifiable', requirement: { groups: ['Team leads'] } });
    expect(plain.body.detail).toContain('zendesk verify');
    const small = await request(unverified, 'refund', { amount: 20 });
    expect((await decide(unverified, small, PEOPLE.ada, null)).status).toBe(200);

    const noZendesk = await request(unconnected, 'refund', { amount: 500 });
    const res = await decide(unconnected, noZendesk, PEOPLE.grace, await sessionOf(PEOPLE.grace, otherSigner));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'authority-unverifiable' });
    expect(res.body.detail).toContain('zendesk connect');
    expect((await read(unconnected, noZendesk)).status).toBe('pending');
  });

  it('When Zendesk does not answer the lookup, then 503 problem+json with Retry-After and the approval stays pending; once it answers, the decision goes through', async () => {
    const id = await request(account, 'refund', { amount: 700 });
    const session = await sessionOf(PEOPLE.katherine);
    zd.state.isDown = true;
    try {
      // nobody looked Katherine up before: her lookup has to reach Zendesk
      const res = await decide(account, id, PEOPLE.katherine, session);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body.type).toMatch(/zendesk-unavailable$/);
    } finally {
      zd.state.isDown = false;
    }
    expect((await read(account, id)).status).toBe('pending');
    const again = await decide(account, id, PEOPLE.katherine, session);
    expect(again.status).toBe(200);
    expect(again.body.decidedBy).toMatchObject({ id: '384', authority: 'group:Team leads' });
  });

  it('When a quorum rule needs authority, then a vote from someone without it is refused and not counted; two qualified people decide it', async () => {
    const id = await request(account, 'credit', { amount: 10 });
    const ada = await decide(account, id, PEOPLE.ada, await sessionOf(PEOPLE.ada));
    expect(ada.status).toBe(403);
    const first = await decide(account, id, PEOPLE.grace, await sessionOf(PEOPLE.grace));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', quorum: { required: 2 } });
    expect(first.body.quorum.approvals).toHaveLength(1);
    expect(first.body.quorum.approvals[0].agent).toMatchObject({ id: '382', authority: 'group:team LEADS' });
    const second = await decide(account, id, PEOPLE.margaret, await sessionOf(PEOPLE.margaret));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ status: 'approved', decidedBy: { id: '383', authority: 'role:admin' } });
    const votes = (await events(account, id)).filter((e) => e.type === 'voted');
    expect(votes.map((v) => v.data['authority'])).toEqual(['group:team LEADS', 'role:admin']);
  });
});

describe('Escalation', () => {
  it('When nobody decides within the rule’s time, then it escalates once (audited, ticket priority urgent, an internal note naming the group, an app push) and admins may decide from then on', async () => {
    const id = await request(account, 'refund', { amount: 640 });
    const created = await read(account, id);
    expect(Date.parse(created.escalatesAt) - Date.parse(created.createdAt)).toBe(3_600_000);
    const margaret = await sessionOf(PEOPLE.margaret);
    expect((await decide(account, id, PEOPLE.margaret, margaret)).status).toBe(403);

    clock.advance(3_601_000);
    await Promise.all([gw.sweepNow(), gw.sweepNow()]);
    await gw.sweepNow();
    const escalated = (await events(account, id)).filter((e) => e.type === 'escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]?.actor).toEqual({ type: 'system', name: 'escalation' });
    expect(escalated[0]?.data).toMatchObject({
      afterSeconds: 3600,
      priority: 'urgent',
      notifyGroup: 'Team leads',
      deciders: { roles: ['admin'], groups: ['Team leads'] },
    });
    const ticketId = created.ticketId as string;
    const toTicket = await until(() => {
      const found = zd.requests.filter((r) => r.method === 'PUT' && r.path === `/api/v2/tickets/${ticketId}.json`);
      return found.length >= 2 ? found : null;
    }, 'the priority and the note');
    const bodies = toTicket.map((r) => (r.body as { ticket: Record<string, unknown> }).ticket);
    expect(bodies).toContainEqual({ priority: 'urgent' });
    const note = bodies.find((b) => b['comment']) as { comment: { body: string; public: boolean } };
    expect(note.comment.public).toBe(false);
    expect(note.comment.body).toContain('Team leads: please decide it');
    await until(
      () =>
        zd.requests.some(
          (r) => r.path === '/api/v2/apps/notify.json' && JSON.stringify(r.body).includes('"change":"escalated"'),
        ),
      'the escalation push',
    );

    const res = await decide(account, id, PEOPLE.margaret, margaret);
    expect(res.status).toBe(200);
    expect(res.body.decidedBy).toMatchObject({ id: '383', authority: 'role:admin' });
    expect(toTicket.filter((b) => b.path.endsWith(`${ticketId}.json`))).toHaveLength(2);
  });

  it('When an approval is decided before its escalation time, then it never escalates', async () => {
    const id = await request(account, 'refund', { amount: 300 });
    expect((await decide(account, id, PEOPLE.grace, await sessionOf(PEOPLE.grace))).status).toBe(200);
    clock.advance(3_601_000);
    await gw.sweepNow();
    expect((await events(account, id)).some((e) => e.type === 'escalated')).toBe(false);
  });
});

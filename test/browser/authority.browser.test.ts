/**
 * Approval authority in the browser: the demo policy (refunds above €200 need a member of Team leads)
 * on a real gateway that verifies approvers (signed URLs) and asks the harness's emulated Zendesk API
 * (the account's Zendesk connection) for the verified person's role and groups. One harness, signed in
 * as Ada (agent, Support) or Grace (agent, Support + Team leads) by `?user=<id>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { zendeskVerifications } from '../../server/src/zendesk/verifications.js';
import { DEMO_POLICY, DEMO_USERS } from '../../zendesk-app/harness/demo-data.js';
import { writeGatewayAppDir } from '../../zendesk-app/harness/gateway-app.js';
import { createSignedUrls } from '../../zendesk-app/harness/signed-urls.js';
import { call } from '../support/http.js';
import {
  cardOf,
  decideThroughProxy,
  getApproval,
  openHarness,
  startStack,
  submit,
  type Stack,
} from './browser.support.js';

type DemoUser = (typeof DEMO_USERS)[number];
const [ADA, GRACE, MARGARET] = DEMO_USERS as [DemoUser, DemoUser, DemoUser];
const API = { email: 'gateway@harness.example', apiToken: 'authority-zd-token-5e21' };
const APP_ID = 5150;

let appDir: string;
let stack: Stack;
const pages: Page[] = [];

beforeAll(async () => {
  appDir = writeGatewayAppDir(inject('appDistDir'), mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-authority-app-')));
  const signer = createSignedUrls({ subdomain: 'harness', installationId: '360003' });
  stack = await startStack(inject('appDistDir'), {
    label: 'browser_authority',
    config: { CHEQPOINT_APP_DIR: appDir },
    harness: { users: DEMO_USERS, currentUser: ADA, signedUrls: signer, zendeskApi: API, appId: APP_ID },
  });
  const { conn } = stack.gateway;
  await zendeskVerifications(conn).configure(stack.keys.accountId, {
    publicKeyPem: signer.publicKeyPem,
    installationId: signer.installationId,
  });
  await zendeskConnections(conn).connect(stack.keys.accountId, {
    subdomain: 'harness',
    url: new URL(stack.harness.url).origin,
    appId: APP_ID,
    auth: { kind: 'api-token', email: API.email, token: API.apiToken },
  });
  await policiesRepository(conn).setPolicy(stack.keys.accountId, DEMO_POLICY);
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

/** A refund above the team-lead threshold of the demo policy. */
const bigRefund = (ticket: string) => ({
  action: 'refund_order',
  summary: `Refund €500 for ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 500, currency: 'EUR' },
  justification: 'Goodwill for a late order.',
});

async function openTicketAs(user: { id: number }, ticket: string) {
  const opened = await openHarness(stack, { ticket, user: String(user.id) });
  pages.push(opened.page);
  return opened;
}

/** The harness's emulated Zendesk API, called as the gateway's Zendesk connection does. */
const zendesk = (method: string, pathname: string, body?: unknown, authorization = basicAuth()) =>
  fetch(new URL(pathname, stack.harness.url), {
    method,
    headers: { authorization, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
function basicAuth() {
  return `Basic ${Buffer.from(`${API.email}/token:${API.apiToken}`).toString('base64')}`;
}

describe('The harness plays several Zendesk users', () => {
  it('When the gateway asks who a user is, then the harness answers with their role and groups as Zendesk does (401 without the credentials, 404 for someone unknown)', async () => {
    const user = await zendesk('GET', `/api/v2/users/${GRACE.id}.json`);
    expect(user.status).toBe(200);
    expect(await user.json()).toEqual({
      user: { id: GRACE.id, name: GRACE.name, email: GRACE.email, role: 'agent', locale: 'en-US' },
    });
    const groups = await zendesk('GET', `/api/v2/users/${GRACE.id}/groups.json`);
    expect(await groups.json()).toMatchObject({
      groups: [
        { id: 10, name: 'Support' },
        { id: 11, name: 'Team leads' },
      ],
      next_page: null,
      count: 2,
    });
    expect((await zendesk('GET', '/api/v2/users/999.json')).status).toBe(404);
    expect((await zendesk('GET', '/api/v2/users/999/groups.json')).status).toBe(404);
    expect((await zendesk('GET', `/api/v2/users/${ADA.id}.json`, undefined, 'Bearer wrong')).status).toBe(401);
  });

  it('When the gateway raises a ticket’s priority, then the harness records it and the open ticket view shows it', async () => {
    const { page } = await openTicketAs(ADA, '7290');
    expect(await page.locator('#ticket-priority').isVisible()).toBe(false);
    const res = await zendesk('PUT', '/api/v2/tickets/7290.json', {
      ticket: { priority: 'urgent', comment: { body: 'Escalated: nobody decided in time', public: false } },
    });
    expect(res.status).toBe(200);
    expect(stack.harness.priorities['7290']).toBe('urgent');
    await page.locator('#ticket-priority', { hasText: 'Priority: urgent' }).waitFor({ timeout: 15_000 });
    expect(stack.harness.notes.filter((n) => n.ticketId === '7290').map((n) => n.public)).toEqual([false]);
    expect((await zendesk('PUT', '/api/v2/tickets/7290.json', { ticket: { priority: 'asap' } })).status).toBe(422);
  });

  it('When another user is picked in "Signed in as", then the page reloads as them and ZAF’s currentUser has their role and groups', async () => {
    const { page } = await openTicketAs(ADA, '7291');
    expect(await page.locator('#user-select').inputValue()).toBe(String(ADA.id));
    await Promise.all([page.waitForURL(/[?&]user=383\b/), page.selectOption('#user-select', '383')]);
    const currentUser = await page.evaluate(() => (globalThis as any).harness.config.currentUser);
    expect(currentUser).toEqual(MARGARET);
    expect(currentUser).toMatchObject({ role: 'admin', groups: [{ id: 10, name: 'Support' }] });
    expect(new URL(page.url()).searchParams.get('ticket')).toBe('7291');
  });
});

describe('Approval authority through the harness', () => {
  it('When a €500 refund needs a team lead, then Ada’s card says so with its buttons off, and a decision she forges through the API is refused (403)', async () => {
    const approvalId = await submit(stack, bigRefund('7201'));
    const { page, sidebar } = await openTicketAs(ADA, '7201');
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    await card.getByText('Needs a team lead').waitFor({ timeout: 15_000 });
    for (const name of ['Approve', 'Reject']) {
      expect(await card.getByRole('button', { name, exact: true }).isDisabled(), name).toBe(true);
    }

    // What devtools allows: the call the app would make, with Ada's own session and identity.
    const session = await sidebar.locator('meta[name="cheqpoint-session"]').getAttribute('content');
    const forged = await decideThroughProxy(page, {
      url: `${stack.gateway.url}/api/agent/approvals/${approvalId}/decision`,
      headers: { 'x-cheqpoint-session': session as string },
      body: { decision: 'approve', agent: { id: String(ADA.id), name: ADA.name } },
      userId: ADA.id,
    });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.responseText).detail).toMatch(/Needs a team lead/);
    expect((await getApproval(stack, approvalId)).status).toBe('pending');
  });

  it('When Grace, a team lead, approves the €500 refund in her sidebar, then the approval is decided by her, verified, and the audit trail names her', async () => {
    const approvalId = await submit(stack, bigRefund('7202'));
    const { sidebar } = await openTicketAs(GRACE, '7202');
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await card.getByText('Needs a team lead').count()).toBe(0);
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await card.locator('xpath=self::*[@data-status="approved"]').waitFor({ timeout: 15_000 });

    const approval = await getApproval(stack, approvalId);
    expect(approval.decidedBy).toMatchObject({
      type: 'agent',
      id: String(GRACE.id),
      name: GRACE.name,
      verified: true,
      authority: 'group:Team leads',
    });
    const events = await call(stack.gateway.url, 'GET', `/api/approvals/${approvalId}/events`, {
      key: stack.keys.agentKey,
    });
    const decided = events.body.events.filter((e: { type: string }) => e.type === 'decided');
    expect(decided.map((e: { actor: unknown }) => e.actor)).toEqual([
      expect.objectContaining({ type: 'agent', id: String(GRACE.id), name: GRACE.name, verified: true }),
    ]);
  });
});

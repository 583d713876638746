/**
 * A 2-of-N approval in the browser: two agents, each in their own sidebar loaded from a signed URL (the
 * harness plays Zendesk's signer), so the gateway counts two distinct Zendesk-verified people.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { policiesRepository } from '../../server/src/policies/policies.repository.js';
import { zendeskVerifications } from '../../server/src/zendesk/verifications.js';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { writeGatewayAppDir } from '../../zendesk-app/harness/gateway-app.js';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { createSignedUrls } from '../../zendesk-app/harness/signed-urls.js';
import { call } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ADA, cardOf } from './browser.support.js';

const GRACE = { id: 7, name: 'Grace Hopper', email: 'grace@example.com', role: 'agent', locale: 'en-US' };

let appDir: string;
let gateway: TestGateway;
let account: CreatedAccount;
let asAda: IHarness;
let asGrace: IHarness;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  appDir = writeGatewayAppDir(inject('appDistDir'), mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-quorum-app-')));
  gateway = await startTestGateway({ label: 'browser_quorum', config: { CHEQPOINT_APP_DIR: appDir } });
  account = await gateway.createAccount('quorum');
  await policiesRepository(gateway.conn).setPolicy(account.accountId, {
    rules: [
      {
        name: 'big-refunds',
        action: 'refund_order',
        conditions: { amount: { gt: 500 } },
        outcome: 'require_human',
        approvals: 2,
      },
    ],
  });
  const signer = createSignedUrls({ subdomain: 'harness', installationId: '360002' });
  await zendeskVerifications(gateway.conn).configure(account.accountId, {
    publicKeyPem: signer.publicKeyPem,
    installationId: signer.installationId,
  });
  const settings = { gatewayUrl: gateway.url, agentKey: account.agentKey, addTicketNote: false };
  const harnessAs = (currentUser: typeof ADA) =>
    startHarness({ distDir: inject('appDistDir'), settings, currentUser, signedUrls: signer });
  asAda = await harnessAs(ADA);
  asGrace = await harnessAs(GRACE);
  browser = await launchChromium({ timeout: 30_000 });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await browser?.close().catch(() => {});
  await asAda?.close();
  await asGrace?.close();
  await gateway?.close();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

async function openTicket(harness: IHarness, ticket: string) {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  pages.push(page);
  page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
  await page.goto(`${harness.url}?ticket=${ticket}`);
  return page.frameLocator('#app-ticket_sidebar');
}

describe('Quorum through the harness', () => {
  it('When a 2-of-N refund is approved by one agent and then another, then the first waits, the second decides, and both are Zendesk-verified', async () => {
    const ticket = '7101';
    const created = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: account.flowKey,
      body: {
        action: 'refund_order',
        summary: 'Refund order 9001 in full',
        details: { ticket_id: ticket, order_id: 'o-9001', amount: 900, currency: 'EUR' },
      },
    });
    expect(created.status).toBe(202);
    const approvalId = created.body.approvalId as string;

    const adaCard = cardOf(await openTicket(asAda, ticket), approvalId);
    await adaCard.waitFor({ state: 'visible', timeout: 15_000 });
    await adaCard.getByText('0 of 2 approvals').waitFor();
    expect(await adaCard.getByRole('button', { name: 'Modify' }).count()).toBe(0);
    await adaCard.getByRole('button', { name: 'Approve', exact: true }).click();
    await adaCard.getByText('Waiting for another approver').waitFor({ timeout: 15_000 });
    await adaCard.getByText('1 of 2 approvals · Ada Lovelace').waitFor();
    expect(await adaCard.getByRole('button', { name: 'Approve', exact: true }).isDisabled()).toBe(true);
    expect(await adaCard.getByRole('button', { name: 'Reject', exact: true }).isEnabled()).toBe(true);
    expect(await adaCard.getAttribute('data-status')).toBe('pending');

    const held = call(gateway.url, 'GET', `/api/approvals/${approvalId}?wait=20`, { key: account.flowKey });
    const graceCard = cardOf(await openTicket(asGrace, ticket), approvalId);
    await graceCard.getByText('1 of 2 approvals · Ada Lovelace').waitFor({ timeout: 15_000 });
    expect(await graceCard.getByText('Waiting for another approver').count()).toBe(0);
    await graceCard.getByRole('button', { name: 'Approve', exact: true }).click();
    await graceCard.locator('xpath=self::*[@data-status="approved"]').waitFor({ timeout: 15_000 });

    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'approved',
      decidedBy: { type: 'agent', id: String(GRACE.id), name: GRACE.name, verified: true },
    });
    expect(answer.body.quorum.approvals.map((v: { agent: unknown }) => v.agent)).toEqual([
      { id: String(ADA.id), name: ADA.name, email: ADA.email, verified: true },
      { id: String(GRACE.id), name: GRACE.name, email: GRACE.email, verified: true },
    ]);
    // Ada's sidebar follows the decision live
    await adaCard.locator('xpath=self::*[@data-status="approved"]').waitFor({ timeout: 15_000 });

    const events = await call(gateway.url, 'GET', `/api/approvals/${approvalId}/events`, { key: account.agentKey });
    const votes = events.body.events.filter((e: { type: string }) => e.type === 'voted');
    expect(votes.map((e: { actor: unknown }) => e.actor)).toEqual([
      { type: 'agent', id: String(ADA.id), name: ADA.name, verified: true },
      { type: 'agent', id: String(GRACE.id), name: GRACE.name, verified: true },
    ]);
  });
});

/**
 * Verified approvers in the browser: the harness plays Zendesk's signer (its own RS256 key pair, which
 * the gateway trusts through `zendesk verify`), loads the sidebar by POSTing a signed-URL token to the
 * page the gateway serves, and the app's calls carry the gateway's session through the proxy.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { zendeskVerifications } from '../../server/src/zendesk/verifications.js';
import { appViteConfig } from '../../zendesk-app/build/app-vite-config.js';
import { SIGNED_LOCATION_URL } from '../../zendesk-app/build/zendesk-package.plugin.js';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { writeGatewayAppDir } from '../../zendesk-app/harness/gateway-app.js';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { createSignedUrls } from '../../zendesk-app/harness/signed-urls.js';
import { call } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ADA, cardOf, decideThroughProxy } from './browser.support.js';

const refund = (ticket: string) => ({
  action: 'refund_order',
  summary: `Refund order for ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}`, amount: 40, currency: 'EUR' },
  justification: 'The parcel arrived nine days late.',
});

let appDir: string;
let gateway: TestGateway;
let account: CreatedAccount;
let harness: IHarness;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  appDir = writeGatewayAppDir(inject('appDistDir'), mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-gw-app-')));
  gateway = await startTestGateway({ label: 'browser_verified', config: { CHEQPOINT_APP_DIR: appDir } });
  account = await gateway.createAccount('verified');
  const signer = createSignedUrls({ subdomain: 'harness', installationId: '360001' });
  await zendeskVerifications(gateway.conn).configure(account.accountId, {
    publicKeyPem: signer.publicKeyPem,
    installationId: signer.installationId,
  });
  harness = await startHarness({
    distDir: inject('appDistDir'),
    settings: { gatewayUrl: gateway.url, agentKey: account.agentKey, addTicketNote: true },
    currentUser: ADA,
    signedUrls: signer,
  });
  browser = await launchChromium({ timeout: 30_000 });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await browser?.close().catch(() => {});
  await harness?.close();
  await gateway?.close();
  if (appDir) rmSync(appDir, { recursive: true, force: true });
});

async function submit(ticket: string): Promise<string> {
  const res = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: account.flowKey,
    body: refund(ticket),
  });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

async function openTicket(ticket: string) {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  pages.push(page);
  page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
  await page.goto(`${harness.url}?ticket=${ticket}`);
  return { page, sidebar: page.frameLocator('#app-ticket_sidebar') };
}

describe('Verified approvers through the harness', () => {
  it('When the agent approves in the sidebar loaded from a signed URL, then decidedBy is the Zendesk-verified user', async () => {
    const approvalId = await submit('7001');
    const { sidebar } = await openTicket('7001');
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    // the page came from the gateway, with a session in it
    expect(await sidebar.locator('meta[name="cheqpoint-session"]').getAttribute('content')).toMatch(/^v1\./);
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await sidebar
      .locator(`article[data-approval-id="${approvalId}"][data-status="approved"]`)
      .waitFor({ timeout: 15_000 });

    // the decided card folds to its history line where it was: opened, it says who decided
    await cardOf(sidebar, approvalId).getByRole('button', { expanded: false }).click();
    expect(await cardOf(sidebar, approvalId).getByTestId('verified-decider').textContent()).toBe('Verified by Zendesk');
    const approval = await call(gateway.url, 'GET', `/api/approvals/${approvalId}`, { key: account.agentKey });
    expect(approval.body.decidedBy).toEqual({
      type: 'agent',
      id: String(ADA.id),
      name: ADA.name,
      email: ADA.email,
      verified: true,
      channel: 'sidebar',
    });
  });

  it('When the decision request is edited in the page to claim another agent, then the gateway refuses it (403) and the approval stays pending', async () => {
    const approvalId = await submit('7002');
    const { page, sidebar } = await openTicket('7002');
    await cardOf(sidebar, approvalId).waitFor({ state: 'visible', timeout: 15_000 });
    const session = await sidebar.locator('meta[name="cheqpoint-session"]').getAttribute('content');
    // What devtools allows: the same proxied call the app makes, with the body changed.
    const send = (headers: Record<string, string>) =>
      decideThroughProxy(page, {
        url: `${gateway.url}/api/agent/approvals/${approvalId}/decision`,
        headers,
        body: { decision: 'approve', agent: { id: '7', name: 'Grace Hopper' } },
      });
    const claimed = await send({ 'x-cheqpoint-session': session as string });
    expect(claimed.status).toBe(403);
    expect(JSON.parse(claimed.responseText).detail).toMatch(/claimed identity differs/);
    const withoutSession = await send({});
    expect(withoutSession.status).toBe(401);
    expect(JSON.parse(withoutSession.responseText).errors[0].path).toBe('x-cheqpoint-session');

    const approval = await call(gateway.url, 'GET', `/api/approvals/${approvalId}`, { key: account.agentKey });
    expect(approval.body.status).toBe('pending');
  });
});

describe('The signed-URL package', () => {
  it('When the app is built with signed URLs, then the manifest asks for them and loads every location from the gateway page, within the validation rules', async () => {
    const distDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-signed-dist-'));
    try {
      await build(appViteConfig({ distDir, gatewayHost: '127.0.0.1', signedUrls: true }));
      const manifest = JSON.parse(readFileSync(path.join(distDir, 'manifest.json'), 'utf8'));
      expect(manifest.signedUrls).toBe(true);
      const locations = manifest.location.support as Record<string, Record<string, unknown>>;
      expect(Object.keys(locations).sort()).toEqual(['background', 'nav_bar', 'ticket_sidebar', 'top_bar']);
      // the alert locations only read (no session needed): their own packaged pages, unsigned
      expect(locations['background']).toMatchObject({ url: 'assets/background.html', signed: false });
      expect(locations['top_bar']).toMatchObject({ url: 'assets/top_bar.html', signed: false });
      for (const options of [locations['ticket_sidebar'], locations['nav_bar']].map((o) => o ?? {})) {
        // zendesk_apps_support: a location url is https/localhost, an assets/ file, or contains {{setting.…}}
        expect(options['url']).toBe(SIGNED_LOCATION_URL);
        expect(String(options['url'])).toMatch(/\{\{setting\.gatewayUrl\}\}/);
        for (const key of Object.keys(options)) {
          expect(['url', 'flexible', 'autoLoad', 'autoHide', 'size', 'signed', 'legacy', 'objectTypes']).toContain(key);
        }
      }
      const gatewayUrl = (manifest.parameters as { name: string; type: string }[]).find((p) => p.name === 'gatewayUrl');
      expect(gatewayUrl?.type).toBe('url');
      // the page the gateway serves is in the build, as CHEQPOINT_APP_DIR expects
      expect(readFileSync(path.join(distDir, 'assets', 'index.html'), 'utf8')).toContain('<head>');
    } finally {
      rmSync(distDir, { recursive: true, force: true });
    }
  });
});

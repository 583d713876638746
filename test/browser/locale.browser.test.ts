/**
 * German loads on demand (a chunk of its own, so English agents do not pay for it): through the harness
 * and a real gateway, an agent whose Zendesk locale is German gets the whole card in German.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ADA, cardOf } from './browser.support.js';
import { call } from '../support/http.js';

let gateway: TestGateway;
let harness: IHarness;
let browser: Browser;
let flowKey: string;
const pages: Page[] = [];

beforeAll(async () => {
  gateway = await startTestGateway({ label: 'locale' });
  const keys = await gateway.createAccount('locale');
  flowKey = keys.flowKey;
  harness = await startHarness({
    distDir: inject('appDistDir'),
    settings: { gatewayUrl: gateway.url, agentKey: keys.agentKey, addTicketNote: true },
    currentUser: { ...ADA, locale: 'de-DE' },
  });
  browser = await launchChromium({ timeout: 30_000 });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await browser?.close().catch(() => {});
  await harness?.close();
  await gateway?.close();
});

describe('The app in German', () => {
  it('When the agent reads German, then the German strings load on demand and the card is in German', async () => {
    const res = await call(gateway.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: flowKey,
      body: {
        action: 'refund_order',
        summary: 'Rückerstattung für Bestellung 1001',
        details: { ticket_id: '8101', order_id: '1001', amount: 40, currency: 'EUR' },
      },
    });
    expect(res.status).toBe(202);
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    pages.push(page);
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
    });
    await page.goto(`${harness.url}?ticket=8101`);
    const card = cardOf(page.frameLocator('#app-ticket_sidebar'), res.body.approvalId as string);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getByRole('button', { name: 'Genehmigen' }).isVisible()).toBe(true);
    expect(await card.getByText('Offen').isVisible()).toBe(true);
    expect((await card.textContent())?.replace(/\s/g, ' ')).toContain('40,00 €');
    expect(scripts).toContain('/assets/de.js');
  });
});

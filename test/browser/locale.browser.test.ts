/**
 * German loads on demand (a chunk of its own, so English agents do not pay for it): through the harness
 * and a real gateway, an agent whose Zendesk locale is German gets the whole card in German; the
 * harness's `?locale=de` makes an English agent read German, as `npm run dev` prints.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { ADA, cardOf, startStack, submit, type Stack } from './browser.support.js';

let stack: Stack;
/** A second harness on the same gateway whose agent reads English (`en-US`), as in `npm run dev`. */
let english: IHarness;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'), {
    label: 'locale',
    harness: { currentUser: { ...ADA, locale: 'de-DE' } },
  });
  english = await startHarness({
    distDir: inject('appDistDir'),
    currentUser: ADA,
    settings: { gatewayUrl: stack.gateway.url, agentKey: stack.keys.agentKey, addTicketNote: true },
  });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await english?.close();
  await stack?.close();
});

describe('The app in German', () => {
  it('When the agent reads German, then the German strings load on demand and the card is in German', async () => {
    const approvalId = await submit(stack, {
      action: 'refund_order',
      summary: 'Rückerstattung für Bestellung 1001',
      details: { ticket_id: '8101', order_id: '1001', amount: 40, currency: 'EUR' },
    });
    const page = await stack.browser.newPage({ viewport: { width: 1024, height: 768 } });
    pages.push(page);
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
    });
    await page.goto(`${stack.harness.url}?ticket=8101`);
    const card = cardOf(page.frameLocator('#app-ticket_sidebar'), approvalId);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.getByRole('button', { name: 'Genehmigen' }).isVisible()).toBe(true);
    expect(await card.getByText('Offen').isVisible()).toBe(true);
    expect((await card.textContent())?.replace(/\s/g, ' ')).toContain('40,00 €');
    expect(scripts).toContain('/assets/de.js');
  });

  it('When the harness is opened with ?locale=de, then an English agent gets the card in German; without it, in English', async () => {
    const approvalId = await submit(stack, {
      action: 'refund_order',
      summary: 'Refund order 1002',
      details: { ticket_id: '8102', order_id: '1002', amount: 40, currency: 'EUR' },
    });
    const page = await stack.browser.newPage({ viewport: { width: 1024, height: 768 } });
    pages.push(page);
    await page.goto(`${english.url}?ticket=8102`);
    const inEnglish = cardOf(page.frameLocator('#app-ticket_sidebar'), approvalId);
    await inEnglish.waitFor({ timeout: 15_000 });
    expect(await inEnglish.getByRole('button', { name: 'Approve' }).isVisible()).toBe(true);

    await page.goto(`${english.url}?ticket=8102&locale=de`);
    const inGerman = cardOf(page.frameLocator('#app-ticket_sidebar'), approvalId);
    await inGerman.waitFor({ timeout: 15_000 });
    expect(await inGerman.getByRole('button', { name: 'Genehmigen' }).isVisible()).toBe(true);
    expect((await inGerman.textContent())?.replace(/\s/g, ' ')).toContain('40,00 €');

    const bad = await fetch(`${english.url}?ticket=8102&locale=${encodeURIComponent('de"><script>')}`);
    expect(bad.status).toBe(400);
  });
});

/**
 * Money and numbers on the 320 px sidebar card, through the harness and a real gateway: every shape of money
 * an AI agent sends reads as money in the agent's locale (English and German), with the app's
 * `defaultCurrency` setting for amounts that name none, and no amount wraps or spills out of its card.
 */
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startHarness, type IHarness } from '../../zendesk-app/harness/harness.server.js';
import { ADA, cardOf, saveScreenshot, startStack, submit, type Stack } from './browser.support.js';

/** Zendesk's ticket sidebar content width. */
const SIDEBAR_WIDTH = 320;
const HANNA = { id: 384, name: 'Hanna Schmidt', email: 'hanna@example.com', role: 'agent', locale: 'de-DE' };

let stack: Stack;
let harness: IHarness;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'), { label: 'formatting' });
  // [1] the account's own harness, with the optional setting an admin would enter
  harness = await startHarness({
    distDir: inject('appDistDir'),
    settings: { gatewayUrl: stack.gateway.url, agentKey: stack.keys.agentKey, defaultCurrency: 'eur' },
    users: [ADA, HANNA],
    currentUser: ADA,
  });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await harness?.close();
  await stack?.close();
});

async function openSidebar(query: Record<string, string>) {
  const page = await stack.browser.newPage({ viewport: { width: 1024, height: 900 } });
  pages.push(page);
  page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
  await page.goto(`${harness.url}?${new URLSearchParams(query)}`);
  await page.addStyleTag({
    content: `#app-ticket_sidebar { width: ${SIDEBAR_WIDTH}px !important; max-width: none !important; }`,
  });
  return { page, sidebar: page.frameLocator('#app-ticket_sidebar') };
}

const MONEY_DETAILS = {
  ticket_id: '8801',
  amount: 1234.5, // no currency anywhere: the default (EUR)
  shipping_fee: '4.90 USD',
  total: { amount: 57.4, currency: 'GBP' },
  amount_cents: 1999,
  items: [{ sku: 'A-1', quantity: 2, unit_price: '10.00' }],
  weight_kg: 1234.5,
  order_id: 1001234,
};

/** The value beside each top-level detail (not inside another's value), by key (the dt's title). */
const valuesOf = (sidebar: FrameLocator) =>
  sidebar
    .locator('article dl > div > dt')
    .evaluateAll((dts) =>
      Object.fromEntries(
        dts
          .filter((dt) => !dt.parentElement?.closest('dd'))
          .map((dt) => [
            dt.getAttribute('title'),
            (dt.nextElementSibling?.textContent ?? '').replace(/[\u00a0\u202f]/g, ' '),
          ]),
      ),
    );

/** Money that wraps onto a second line or reaches past its card's right edge. */
const brokenMoney = (sidebar: FrameLocator) =>
  sidebar.locator('article [data-money]').evaluateAll((spans) =>
    spans
      .filter((span) => {
        const card = span.closest('article')?.getBoundingClientRect();
        return span.getClientRects().length !== 1 || !card || span.getBoundingClientRect().right > card.right;
      })
      .map((span) => span.textContent),
  );

describe('Money on the sidebar card', () => {
  it('When an approval sends money as numbers, strings, objects, cents and line items, then each reads as money at 320 px, in English and German, light and dark', async () => {
    const approvalId = await submit(stack, {
      action: 'refund_order',
      summary: 'Refund order 1001 and its shipping',
      details: MONEY_DETAILS,
      riskLevel: 'medium',
      agentName: 'Support AI',
    });
    const expected = {
      en: {
        amount: '€1,234.50',
        shipping_fee: '$4.90',
        total: '£57.40',
        amount_cents: '€19.99',
        weight_kg: '1,234.5',
        order_id: '1001234',
        price: '€10.00',
      },
      de: {
        amount: '1.234,50 €',
        shipping_fee: '4,90 $',
        total: '57,40 £',
        amount_cents: '19,99 €',
        weight_kg: '1.234,5',
        order_id: '1001234',
        price: '10,00 €',
      },
    } as const;
    for (const [language, user] of [
      ['en', ADA],
      ['de', HANNA],
    ] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, sidebar } = await openSidebar({ ticket: '8801', user: String(user.id), colorScheme });
        const card = cardOf(sidebar, approvalId);
        await card.waitFor({ timeout: 15_000 });
        const values = await valuesOf(sidebar);
        const want = expected[language];
        expect(values['amount'], language).toBe(want.amount);
        expect(values['shipping_fee'], language).toBe(want.shipping_fee);
        expect(values['total'], language).toBe(want.total);
        expect(values['amount_cents'], language).toBe(want.amount_cents);
        expect(values['weight_kg'], language).toBe(want.weight_kg);
        expect(values['order_id'], language).toBe(want.order_id);
        expect(values['items'], language).toContain(want.price);
        expect(await brokenMoney(sidebar), `${language} ${colorScheme}`).toEqual([]);
        await saveScreenshot(page, `sidebar-320-money-${language}-${colorScheme}.png`, { selector: '#sidebar' });
        await page.close();
      }
    }
  });
});

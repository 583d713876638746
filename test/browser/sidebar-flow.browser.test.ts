/**
 * The sidebar as agents read it at Zendesk's 320 px (issue 16, point 9), in headless Chromium through the
 * harness and a real gateway: the history line keeps outcome, who and when whole (English and German,
 * light and dark), a card decided here stays where it was with focus on the next one, and the card parts a
 * click opens arrive as their own chunk of the packaged app.
 */
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cardOf,
  decideViaApi,
  openHarness,
  saveScreenshot,
  startStack,
  submit,
  type Stack,
} from './browser.support.js';

/** Zendesk's ticket sidebar content width. */
const SIDEBAR_WIDTH = 320;
const MARGARET = { id: '9', name: 'Margaret Hamilton-Whitfield', email: 'margaret@example.com' };
const GRACE = { id: '7', name: 'Grace Hopper', email: 'grace@example.com' };
/** The decided approvals' titles: the only part of a history line that may give way. */
const TITLES = ['Refund order with store credit and prepaid return label', 'Cancel subscription'];

let stack: Stack;
const pages: Page[] = [];

beforeAll(async () => {
  stack = await startStack(inject('appDistDir'), { label: 'sidebar-flow' });
});

afterAll(async () => {
  for (const page of pages) await page.close().catch(() => {});
  await stack?.close();
});

async function openSidebar(query: Record<string, string>) {
  const opened = await openHarness(stack, query, { width: 1024, height: 900 });
  pages.push(opened.page);
  await opened.page.addStyleTag({
    content: `#app-ticket_sidebar { width: ${SIDEBAR_WIDTH}px !important; max-width: none !important; }`,
  });
  return opened;
}

const request = (ticket: string, action: string, n: number) => ({
  action,
  summary: `Request ${n} on ticket ${ticket}`,
  details: { ticket_id: ticket, order_id: `o-${ticket}-${n}`, amount: 40, currency: 'EUR' },
  justification: 'The parcel arrived nine days late.',
  riskLevel: 'low',
  agentName: 'Support AI',
});

/** Each decided card's history line: whether outcome, who and when are whole and inside the card. */
function historyParts(sidebar: FrameLocator, titles: string[]) {
  return sidebar.locator('article:not([data-status="pending"])').evaluateAll(
    (cards, titles) =>
      cards.map((card) => {
        const box = card.getBoundingClientRect();
        const part = (name: string) => {
          const el = card.querySelector(`[data-part="${name}"]`);
          if (!el) return null;
          const r = el.getBoundingClientRect();
          return {
            text: el.textContent ?? '',
            // a clipped or ellipsised part scrolls wider than it shows
            isWhole: el.scrollWidth <= el.clientWidth + 0.5,
            isInside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.width > 0,
          };
        };
        // any element of the line cut short, other than the title (which may end in an ellipsis)
        const clipped = [...card.querySelectorAll('button[aria-expanded] *')]
          .filter((el) => el.scrollWidth > el.clientWidth + 0.5 && !titles.includes((el.textContent ?? '').trim()))
          .map((el) => el.textContent ?? '');
        return {
          id: card.getAttribute('data-approval-id'),
          clipped,
          outcome: part('outcome'),
          who: part('who'),
          when: part('when'),
          title: part('title'),
        };
      }),
    titles,
  );
}

describe('Sidebar flow at 320 px', () => {
  it('When decided approvals show as history lines, then outcome, who and when are whole and inside the card (en/de, light/dark)', async () => {
    const ticket = '8201';
    const long = await submit(stack, request(ticket, 'refund_order_with_store_credit_and_prepaid_return_label', 1));
    const rejected = await submit(stack, request(ticket, 'cancel_subscription', 2));
    await submit(stack, request(ticket, 'refund_order', 3));
    expect((await decideViaApi(stack, long, { decision: 'approve', agent: MARGARET })).status).toBe(200);
    const reject = { decision: 'reject', note: 'Outside the window', agent: GRACE };
    expect((await decideViaApi(stack, rejected, reject)).status).toBe(200);

    const words = {
      en: { approved: 'Approved', rejected: 'Rejected' },
      de: { approved: 'Genehmigt', rejected: 'Abgelehnt' },
    } as const;
    for (const locale of ['en', 'de'] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, sidebar } = await openSidebar({ ticket, locale, colorScheme });
        const label = `${locale} ${colorScheme}`;
        await cardOf(sidebar, rejected).waitFor({ timeout: 15_000 });
        await expect.poll(() => sidebar.locator('article').count()).toBe(3);
        const lines = await historyParts(sidebar, TITLES);
        expect(lines, label).toHaveLength(2);
        for (const line of lines) {
          expect(line.clipped, `${label}: cut short`).toEqual([]);
          for (const name of ['outcome', 'who', 'when'] as const) {
            const part = line[name];
            expect(part, `${label} ${name}`).not.toBeNull();
            expect(part?.isWhole, `${label} ${name} "${part?.text}" clipped`).toBe(true);
            expect(part?.isInside, `${label} ${name} "${part?.text}" outside the card`).toBe(true);
          }
        }
        const byId = Object.fromEntries(lines.map((line) => [line.id, line]));
        expect(byId[long]?.outcome?.text).toBe(words[locale].approved);
        expect(byId[long]?.who?.text).toContain('Margaret Hamilton-Whitfield');
        expect(byId[rejected]?.outcome?.text).toBe(words[locale].rejected);
        expect(byId[rejected]?.who?.text).toContain('Grace Hopper');
        // when: a relative time ("now", "1 minute ago", "vor 1 Minute", "jetzt")
        expect(byId[rejected]?.when?.text, label).toMatch(/now|ago|jetzt|vor/);
        // the title is what gives way: the long one still starts readable
        expect(byId[long]?.title?.text).toBe('Refund order with store credit and prepaid return label');
        // a history line is short: one line of small text when outcome, who and when fit beside a few letters
        // of the title (Grace's), else who · when on the next (Margaret's long name, in German too)
        const heights = Object.fromEntries(
          await sidebar
            .locator('article:not([data-status="pending"])')
            .evaluateAll((els) => els.map((el) => [el.dataset['approvalId'], el.getBoundingClientRect().height])),
        );
        if (locale === 'en') expect(heights[rejected], label).toBeLessThan(32);
        for (const height of Object.values(heights)) expect(height, label).toBeLessThan(64);
        await saveScreenshot(page, `sidebar-320-history-${locale}-${colorScheme}.png`, { selector: '#sidebar' });
        await page.close();
      }
    }
  });

  it('When the agent approves the first of two pending cards, then it stays first, folded, and focus moves to the next pending card', async () => {
    const ticket = '8202';
    const first = await submit(stack, request(ticket, 'refund_order', 1));
    const second = await submit(stack, request(ticket, 'cancel_subscription', 2));
    const { page, sidebar } = await openSidebar({ ticket });
    await cardOf(sidebar, second).waitFor({ timeout: 15_000 });
    const order = () => sidebar.locator('article').evaluateAll((els) => els.map((el) => el.dataset['approvalId']));
    const before = await order();
    expect(before).toEqual([first, second]);

    await cardOf(sidebar, first).getByRole('button', { name: 'Approve', exact: true }).click();
    await sidebar.locator(`article[data-approval-id="${first}"][data-status="approved"]`).waitFor({ timeout: 15_000 });
    expect(await order()).toEqual(before);
    expect(await cardOf(sidebar, first).getAttribute('data-expanded')).toBe('false');
    const focused = () =>
      cardOf(sidebar, first).evaluate(
        () => (globalThis as any).document.activeElement?.getAttribute('data-approval-id') ?? null,
      );
    await expect.poll(focused).toBe(second);
    await saveScreenshot(page, 'sidebar-320-decided-in-place.png', { selector: '#sidebar' });
  });

  it('When the sidebar loads, then the first card comes from index.js alone; the note and Modify arrive as a lazy chunk from the package and work', async () => {
    const ticket = '8203';
    const approvalId = await submit(stack, request(ticket, 'refund_order', 1));
    const scripts: { url: string; status: number; beforeCard: boolean }[] = [];
    let isCardShown = false;
    const page = await stack.browser.newPage({ viewport: { width: 1024, height: 900 } });
    pages.push(page);
    page.on('response', (response) => {
      // the sidebar's frame only (the harness also loads the background and top-bar locations)
      if (response.url().endsWith('.js') && response.frame().url().includes('location=ticket_sidebar'))
        scripts.push({ url: response.url(), status: response.status(), beforeCard: !isCardShown });
    });
    await page.goto(`${stack.harness.url}?ticket=${ticket}`);
    const sidebar = page.frameLocator('#app-ticket_sidebar');
    const card = cardOf(sidebar, approvalId);
    await card.waitFor({ timeout: 15_000 });
    isCardShown = true;

    const folder = (url: string) => url.slice(0, url.lastIndexOf('/'));
    const file = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    const index = scripts.find((s) => file(s.url) === 'index.js');
    expect(index?.status).toBe(200);
    // the app's chunks: from the entry's folder (the harness's host page and ZAF stand-in are not the app)
    const ours = () => scripts.filter((s) => folder(s.url) === folder(index?.url ?? ''));
    const named = (name: string) => ours().find((s) => file(s.url) === name);
    // index.js alone before the first card (the card parts may start as it renders); never German, the queue
    const early = ours()
      .filter((s) => s.beforeCard)
      .map((s) => file(s.url));
    expect(early.filter((name) => name !== 'card-parts.chunk.js' && name !== 'garden-forms.js')).toEqual(['index.js']);
    // fetched by relative URL from the entry's folder, as in the uploaded package
    await expect.poll(() => named('card-parts.chunk.js')?.status).toBe(200);
    expect(named('garden-forms.js')?.status).toBe(200);
    expect(ours().map((s) => file(s.url))).not.toEqual(expect.arrayContaining(['de.js', 'QueueView.js']));

    // the parts work: the note opens focused, Escape closes it back to "Add note"; Modify shows its form
    const active = () => card.evaluate(() => (globalThis as any).document.activeElement?.textContent as string);
    await card.getByRole('button', { name: 'Add note' }).click();
    const note = card.getByLabel('Decision note');
    await note.waitFor({ timeout: 5_000 });
    await expect.poll(() => note.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
    await note.press('Escape');
    await expect.poll(() => card.getByRole('textbox').count()).toBe(0);
    await expect.poll(active).toBe('Add note');
    await card.getByRole('button', { name: 'Modify' }).click();
    await card.getByLabel('Amount').waitFor({ timeout: 5_000 });
    expect(ours().every((s) => s.status === 200)).toBe(true);
  });
});

import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Frame, FrameLocator, Page } from 'playwright-core';
import { launchChromium } from '../../zendesk-app/harness/chromium.js';
import { startHarness, type IHarness, type IHarnessOptions } from '../../zendesk-app/harness/harness.server.js';
import { call } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** Screenshots of every run (git-ignored); CHEQPOINT_SAVE_SCREENSHOTS=1 also refreshes the committed ones. */
export const SHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

export const ADA = { id: 381, name: 'Ada Lovelace', email: 'ada@example.com', role: 'agent', locale: 'en-US' };

export type Stack = {
  gateway: TestGateway;
  harness: IHarness;
  browser: Browser;
  keys: { accountId: string; flowKey: string; agentKey: string };
  close: () => Promise<void>;
};

export type StackOptions = {
  /** Names the test database. */
  label?: string;
  /** Gateway settings beside the test defaults. */
  config?: NonNullable<Parameters<typeof startTestGateway>[0]>['config'];
  /** The gateway's clock (a test seeding history on past days moves it). */
  clock?: NonNullable<Parameters<typeof startTestGateway>[0]>['clock'];
  /** Harness options beside the built app and the account's settings (user, Zendesk API, tickets…). */
  harness?: Omit<IHarnessOptions, 'distDir' | 'settings'>;
};

/** A real gateway on a fresh database, the harness serving the built app, and headless Chromium. */
export async function startStack(distDir: string, options: StackOptions = {}): Promise<Stack> {
  const label = options.label ?? 'browser';
  const gateway = await startTestGateway({
    label,
    ...(options.config ? { config: options.config } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const account = await gateway.createAccount(label);
  const harness = await startHarness({
    currentUser: ADA,
    ...options.harness,
    distDir,
    settings: { gatewayUrl: gateway.url, agentKey: account.agentKey, addTicketNote: true },
  });
  const browser = await launchChromium({ timeout: 30_000 });
  return {
    gateway,
    harness,
    browser,
    keys: { accountId: account.accountId, flowKey: account.flowKey, agentKey: account.agentKey },
    close: async () => {
      await browser.close().catch(() => {});
      await harness.close();
      await gateway.close();
    },
  };
}

/** Creates a pending approval through the inbound webhook, as a Zendesk AI agent flow would. */
export async function submit(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const res = await call(stack.gateway.url, 'POST', '/api/webhooks/inbound?wait=0', { key: stack.keys.flowKey, body });
  if (res.status !== 202) throw new Error(`inbound answered ${res.status}: ${res.text}`);
  return res.body.approvalId as string;
}

export async function getApproval(stack: Stack, approvalId: string) {
  return (await call(stack.gateway.url, 'GET', `/api/approvals/${approvalId}`, { key: stack.keys.agentKey })).body;
}

/** Decides through the API, as another agent (or another tab) would. */
export async function decideViaApi(stack: Stack, approvalId: string, body: Record<string, unknown>) {
  return call(stack.gateway.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
    key: stack.keys.agentKey,
    body,
  });
}

export async function openHarness(
  stack: Stack,
  query: Record<string, string>,
  viewport = { width: 1024, height: 768 },
): Promise<{ page: Page; sidebar: FrameLocator; queue: FrameLocator }> {
  const page = await stack.browser.newPage({ viewport });
  page.on('pageerror', (err) => process.stderr.write(`[harness page error] ${err.message}\n`));
  await page.goto(`${stack.harness.url}?${new URLSearchParams(query)}`);
  return { page, sidebar: page.frameLocator('#app-ticket_sidebar'), queue: page.frameLocator('#app-nav_bar') };
}

/** The card of one approval inside an app frame. */
export const cardOf = (frame: FrameLocator, approvalId: string) =>
  frame.locator(`article[data-approval-id="${approvalId}"]`);

export async function saveScreenshot(
  page: Page,
  name: string,
  options: { selector?: string; committed?: string[] } = {},
) {
  mkdirSync(SHOT_DIR, { recursive: true });
  const file = path.join(SHOT_DIR, name);
  if (options.selector) await page.locator(options.selector).screenshot({ path: file });
  else await page.screenshot({ path: file });
  if (process.env['CHEQPOINT_SAVE_SCREENSHOTS'] === '1') {
    for (const target of options.committed ?? []) {
      mkdirSync(path.dirname(path.join(REPO_ROOT, target)), { recursive: true });
      copyFileSync(file, path.join(REPO_ROOT, target));
    }
  }
  return file;
}

/**
 * What devtools allows an agent: a decision sent through the harness's proxy from the host page, as the
 * app's own call would go (the agent key substituted by the proxy), with any body and headers.
 */
export function decideThroughProxy(
  page: Page,
  request: { url: string; headers: Record<string, string>; body: Record<string, unknown>; userId?: number },
): Promise<{ status: number; responseText: string }> {
  return page.evaluate(async ({ url, headers, body, userId }) => {
    const response = await fetch(userId === undefined ? '/harness/proxy' : `/harness/proxy?user=${userId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        url,
        type: 'POST',
        secure: true,
        cors: false,
        contentType: 'application/json',
        headers: { 'x-api-key': '{{setting.agentKey}}', ...headers },
        data: JSON.stringify(body),
      }),
    });
    return (await response.json()) as { status: number; responseText: string };
  }, request);
}

export type AxeViolation = { id: string; impact: string; targets: string[] };

let axeSource: string | undefined;

/**
 * axe-core's violations in a frame as it is now (axe injected once per document): `all` for the
 * message, `blocking` (serious or critical) for the assertion.
 */
export async function axeViolations(frame: Frame): Promise<{ all: AxeViolation[]; blocking: AxeViolation[] }> {
  if (!(await frame.evaluate(() => typeof (globalThis as any).axe !== 'undefined'))) {
    axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await frame.addScriptTag({ content: axeSource });
  }
  const all = await frame.evaluate(async () => {
    const { axe, document } = globalThis as any;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[]).map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3),
    }));
  });
  return { all, blocking: all.filter((v) => v.impact === 'serious' || v.impact === 'critical') };
}

/**
 * `npm run bench:app`: the app's budgets, printed (not asserted).
 * - JavaScript of the sidebar, gzip (budget ≤ 150 kB);
 * - first card visible after the iframe's load event, on localhost (budget ≤ 1 s), median of 7 loads in
 *   headless Chromium through the harness, against a stub gateway that answers at once (so the figure is
 *   the app's own; the browser tests print the same figure against the real gateway).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { appViteConfig } from '../build/app-vite-config.js';
import { launchChromium } from './chromium.js';
import { startHarness } from './harness.server.js';

const RUNS = 7;
const say = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function stubApproval(index: number) {
  const created = new Date(Date.now() - (index + 1) * 60_000).toISOString();
  return {
    approvalId: `apr_${randomBytes(16).toString('hex')}`,
    status: 'pending',
    modifiedDetails: null,
    decisionNote: null,
    decidedBy: null,
    action: 'refund_order',
    summary: `Refund order #${1000 + index}`,
    details: { ticket_id: '9921', order_id: String(1000 + index), amount: 40, currency: 'EUR' },
    justification: 'The parcel arrived late.',
    ticketId: '9921',
    riskLevel: 'medium',
    priority: null,
    agentName: 'Support AI',
    metadata: null,
    createdAt: created,
    decidedAt: null,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    callback: null,
    policy: null,
  };
}

async function main() {
  const distDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-bench-'));
  const stub = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ approvals: [0, 1, 2].map(stubApproval) }));
  });
  try {
    await build(appViteConfig({ distDir, gatewayHost: '127.0.0.1' }));
    const assets = path.join(distDir, 'assets');
    const sizes = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((file) => {
        const bytes = readFileSync(path.join(assets, file));
        return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
      });
    // the sidebar loads the entry (index.js) only; other chunks load on demand (the nav-bar queue's table)
    const entry = sizes.find((s) => s.file === 'index.js') ?? { file: 'index.js', raw: 0, gzip: 0 };
    const kb = (bytes: number) => (bytes / 1024).toFixed(1);
    say(`Sidebar JavaScript: ${kb(entry.gzip)} kB gzip (${kb(entry.raw)} kB raw, index.js); budget 150 kB`);
    for (const chunk of sizes.filter((s) => s !== entry)) {
      say(`  loaded on demand: ${chunk.file} ${kb(chunk.gzip)} kB gzip (${kb(chunk.raw)} kB raw)`);
    }

    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const gatewayUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    const harness = await startHarness({ distDir, settings: { gatewayUrl, agentKey: 'cqp_agent_bench' } });
    const browser = await launchChromium();
    const afterLoad: number[] = [];
    const afterNavigation: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
        await page.goto(`${harness.url}?ticket=9921`);
        await page.frameLocator('#app-ticket_sidebar').locator('article').first().waitFor({ timeout: 15_000 });
        const times = await page.evaluate(() => {
          const load = window.harness.log.find((e) => e.type === 'iframe.load');
          return { load: load?.at ?? 0, now: performance.now() };
        });
        afterLoad.push(times.now - times.load);
        afterNavigation.push(times.now);
        await page.close();
      }
    } finally {
      await browser.close();
      await harness.close();
    }
    say(
      `First card visible: ${median(afterLoad).toFixed(0)} ms after the iframe load event, ` +
        `${median(afterNavigation).toFixed(0)} ms after navigation (median of ${RUNS}); budget 1000 ms`,
    );
  } finally {
    stub.close();
    rmSync(distDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * The harness's Billing pane (`/billing` on the harness page's origin): the requests the gateway made to
 * the demo billing endpoint (fake-billing.ts) when it carried out an approved action, each with its
 * Idempotency-Key, body and answer, and the answer the next ones get (200, 500 once, 500, 422) to try
 * retries and failures from the sidebar.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import ts from 'typescript';
import { BILLING_MODES, type BillingMode, type IFakeBilling } from './fake-billing.js';

const MODE_LABELS: Record<BillingMode, string> = {
  ok: '200 OK',
  'fail-once': '500 once per key, then 200 (a retry on schedule)',
  error: '500 every time (retries, then failed)',
  invalid: '422 (failed at once: Retry in the sidebar)',
};

function compileClient(): string {
  const source = readFileSync(path.join(import.meta.dirname, 'billing-pane.client.ts'), 'utf8');
  return ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
}

function page(endpoint: string): string {
  const options = BILLING_MODES.map((mode) => `<option value="${mode}">${MODE_LABELS[mode]}</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Billing (harness) – Cheqpoint</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; font-size: 15px; }
  body { margin: 0 auto; max-width: 960px; padding: 16px; }
  header { display: flex; flex-wrap: wrap; gap: 16px; align-items: baseline; }
  table { width: 100%; border-collapse: collapse; margin-top: 12px; }
  th, td { text-align: start; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #8884; }
  pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; }
  code { overflow-wrap: anywhere; }
  .bad { color: #c2261a; font-weight: 600; }
</style>
</head>
<body>
<header>
  <h1>Billing</h1>
  <label>Answer next requests with <select id="billing-mode">${options}</select></label>
  <a href="/">Zendesk harness</a>
</header>
<p>A billing system on this machine (<code>${endpoint}</code>): the demo account's <code>cancel_subscription</code> action sends its request here once a late approval is carried out. Each request shows the <code>Idempotency-Key</code> (the approval id: a repeat is the same cancellation, never a second one).</p>
<p id="billing-status" role="status"></p>
<table>
  <caption>Requests received, newest first</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Request</th><th scope="col">Idempotency-Key</th><th scope="col">Body</th><th scope="col">Answered</th></tr></thead>
  <tbody id="billing-requests"></tbody>
</table>
<p id="billing-empty">No request yet: approve the demo cancellation after its AI agent stopped waiting (it was created with ?wait=0).</p>
<script type="module" src="/billing/pane.js"></script>
</body>
</html>`;
}

type Reply = { status: number; body: string; type?: string };
const json = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The pane's routes on the harness page's server: false for a path that is not the pane's. */
export function billingPane(billing: IFakeBilling) {
  const client = compileClient();
  const state = () => ({ mode: billing.mode(), requests: billing.requests });
  return {
    async handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<boolean> {
      let reply: Reply | null = null;
      if (pathname === '/billing' && req.method === 'GET') {
        reply = { status: 200, body: page(billing.url), type: 'text/html; charset=utf-8' };
      } else if (pathname === '/billing/pane.js') {
        reply = { status: 200, body: client, type: 'text/javascript; charset=utf-8' };
      } else if (pathname === '/billing/state') {
        reply = json(200, state());
      } else if (pathname === '/billing/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        const stop = billing.onRequest(() => res.write('event: change\ndata: request\n\n'));
        req.on('close', stop);
        return true;
      } else if (pathname === '/billing/mode' && req.method === 'POST') {
        let mode: unknown;
        try {
          mode = (JSON.parse(await readBody(req)) as { mode?: unknown }).mode;
        } catch {
          mode = undefined;
        }
        if ((BILLING_MODES as readonly unknown[]).includes(mode)) {
          billing.setMode(mode as BillingMode);
          reply = json(200, state());
        } else reply = json(400, { error: `mode: one of ${BILLING_MODES.join(', ')}` });
      }
      if (!reply) return false;
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json', 'cache-control': 'no-store' });
      res.end(reply.body);
      return true;
    },
  };
}
export type BillingPane = ReturnType<typeof billingPane>;

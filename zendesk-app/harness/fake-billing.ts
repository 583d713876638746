/**
 * A billing system on loopback for `npm run dev` and the browser tests: the endpoint an action of the
 * demo account (`action set`) cancels subscriptions at, so a late approval's request can be seen arriving
 * with its Idempotency-Key, and retries and failures tried on demand (the harness's Billing pane).
 * It checks the bearer token the action's `{{secrets.billing}}` fills in and answers 401 without it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the endpoint answers: `ok` 200; `fail-once` 500 to a key's first request, then 200; `error` 500; `invalid` 422. */
export const BILLING_MODES = ['ok', 'fail-once', 'error', 'invalid'] as const;
export type BillingMode = (typeof BILLING_MODES)[number];

/** One request the endpoint received, with what it answered. */
export interface IBillingRequest {
  at: string;
  method: string;
  path: string;
  /** The `Idempotency-Key` header (Cheqpoint sends the approval id); null when absent. */
  idempotencyKey: string | null;
  /** Whether the bearer token was the one the demo's secret holds (the token itself is never kept). */
  isAuthorized: boolean;
  /** The JSON body, or the text when it was not JSON. */
  body: unknown;
  status: number;
}

export interface IFakeBilling {
  /** e.g. http://127.0.0.1:4569 */
  url: string;
  port: number;
  requests: IBillingRequest[];
  mode: () => BillingMode;
  setMode: (mode: BillingMode) => void;
  /** Called after each request is recorded (the pane's live updates). */
  onRequest: (listener: () => void) => () => void;
  stop: () => Promise<void>;
}

const ANSWERS: Record<Exclude<BillingMode, 'fail-once'>, { status: number; body: object }> = {
  ok: { status: 200, body: { status: 'cancelled' } },
  error: { status: 500, body: { error: 'billing is down (harness: answer 500)' } },
  invalid: { status: 422, body: { error: 'subscription cannot be cancelled (harness: answer 422)' } },
};

const readBody = (req: http.IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** Starts the endpoint on `host:port` (0 = any free port); `token` is the bearer the secret holds. */
export async function startFakeBilling(options: {
  token: string;
  port?: number;
  host?: string;
}): Promise<IFakeBilling> {
  const host = options.host ?? '127.0.0.1';
  const requests: IBillingRequest[] = [];
  const listeners = new Set<() => void>();
  /** Keys that were answered 500 once in `fail-once` mode. */
  const failedOnce = new Set<string>();
  let mode: BillingMode = 'ok';

  function answerFor(key: string | null): { status: number; body: object } {
    switch (mode) {
      case 'fail-once':
        if (key !== null && !failedOnce.has(key)) {
          failedOnce.add(key);
          return { status: 500, body: { error: 'billing hiccup (harness: 500 once, then 200)' } };
        }
        return ANSWERS.ok;
      case 'ok':
      case 'error':
      case 'invalid':
        return ANSWERS[mode];
    }
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const header = req.headers['idempotency-key'];
      const idempotencyKey = typeof header === 'string' ? header : null;
      const isAuthorized = req.headers['authorization'] === `Bearer ${options.token}`;
      const answer = isAuthorized ? answerFor(idempotencyKey) : { status: 401, body: { error: 'bad bearer token' } };
      requests.push({
        at: new Date().toISOString(),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        idempotencyKey,
        isAuthorized,
        body: parsed(text),
        status: answer.status,
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
      for (const listener of listeners) listener();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    mode: () => mode,
    setMode: (next) => {
      mode = next;
    },
    onRequest: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

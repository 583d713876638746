import type { ServerResponse } from 'node:http';

/**
 * A JSON answer written straight to Node's response: the same bytes and headers as Express's
 * `res.status(n).json(body)` (`application/json; charset=utf-8`, Content-Length), without its
 * per-call content-type parsing and charset rewriting. For the answers that go out hundreds at once:
 * held waits timing out together are answered one after another on one event loop, so what each
 * costs is how late the last one is.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

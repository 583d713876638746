import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The callback receiver, in the benchmark process: notes when each POST has fully arrived (by its
 * `webhook-id`, or `x-bench-id` for the bare baseline POSTs) on the benchmark's own clock
 * (performance.now()), and answers 200.
 */
export async function startReceiver() {
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  let posts = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      const at = performance.now();
      posts++;
      const id = String(req.headers['webhook-id'] ?? req.headers['x-bench-id'] ?? '');
      if (id && !arrived.has(id)) {
        arrived.set(id, at);
        waiting.get(id)?.(at);
        waiting.delete(id);
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/callback`,
    posts: () => posts,
    /** When the POST with this id arrived (waits for it up to `timeoutMs`; rejects then). */
    arrival(id: string, timeoutMs: number): Promise<number> {
      const at = arrived.get(id);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no POST for ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

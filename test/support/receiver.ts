import http from 'node:http';
import net from 'node:net';

/** One request the receiver got, exactly as sent. */
export type ReceivedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Raw body bytes as text (what the signature covers). */
  body: string;
  receivedAt: Date;
};

/**
 * How the receiver answers one request: a status (with headers and body), or a fault.
 * `reset` destroys the socket; `hang` never answers; `hold` answers 200 once `release` is called;
 * `slow-huge` answers 200 and then streams 50 MB slowly.
 */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'hold'; release: Promise<void> }
  | { kind: 'slow-huge' };

export type Receiver = {
  port: number;
  url: (path?: string) => string;
  requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests: (count: number, timeoutMs?: number) => Promise<ReceivedRequest[]>;
  /** Bytes written by `slow-huge` replies so far. */
  bytesStreamed: () => number;
  /** Stops listening (connections are refused) and drops open connections. */
  stop: () => Promise<void>;
  /** Listens again on the same port. */
  restart: () => Promise<void>;
  close: () => Promise<void>;
};

/**
 * A real callback receiver on 127.0.0.1. `reply(request, n)` picks the answer to the n-th request
 * (1-based); the default is 200 `ok`.
 */
export async function startReceiver(
  reply: (request: ReceivedRequest, n: number) => Reply = () => ({ status: 200, body: 'ok' }),
  port = 0,
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let streamed = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: new Date(),
      };
      requests.push(received);
      for (const w of waiters.splice(0)) w();
      const answer = reply(received, requests.length);
      if ('status' in answer) {
        res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
      } else if (answer.kind === 'reset') {
        req.socket.destroy();
      } else if (answer.kind === 'hold') {
        void answer.release.then(() => res.writeHead(200).end('ok'));
      } else if (answer.kind === 'slow-huge') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(50 * 1024 * 1024) });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const timer = setInterval(() => {
          if (res.destroyed || streamed >= 50 * 1024 * 1024) {
            clearInterval(timer);
            timers.delete(timer);
            res.end();
            return;
          }
          streamed += chunk.length;
          res.write(chunk);
        }, 20);
        timers.add(timer);
      }
      // 'hang': never answer.
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  const actualPort = await listen(port);

  const stop = async () => {
    for (const timer of timers) clearInterval(timer);
    timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    port: actualPort,
    url: (path = '/callback') => `http://127.0.0.1:${actualPort}${path}`,
    requests,
    async waitForRequests(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return requests.slice(0, count);
    },
    bytesStreamed: () => streamed,
    stop,
    restart: async () => {
      await listen(actualPort);
    },
    close: async () => {
      if (server.listening) await stop();
    },
  };
}

/** A plain TCP listener on 127.0.0.1 that only counts connections (proves "zero connects"). */
export async function startConnectionCounter(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

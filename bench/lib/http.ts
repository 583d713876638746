import http from 'node:http';
import net from 'node:net';

/** Keep-alive connections for the sequential samplers (one socket per concurrent caller is enough). */
export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export type Response = { status: number; text: string; json: <T = any>() => T; ms: number; endedAt: number };

/**
 * One HTTP request on 127.0.0.1 with node:http (lower and steadier overhead than fetch). `ms` is
 * the time from sending to the last byte; `endedAt` is performance.now() then.
 */
export function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    agent?: http.Agent | false;
    signal?: AbortSignal;
    timeoutMs?: number;
  } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const started = performance.now();
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        agent: options.agent ?? keepAliveAgent,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const endedAt = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            text,
            json: () => JSON.parse(text),
            ms: endedAt - started,
            endedAt,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 60_000, () =>
      req.destroy(new Error(`timeout after ${options.timeoutMs ?? 60_000} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export type RawResponse = Response & {
  /** performance.now() when the answer's first byte reached the socket. */
  firstByteAt: number;
};

/**
 * A GET on a socket of its own, written and read without node:http: the answer's time is when its first
 * byte reaches the socket. For many calls answered in the same moment (held waits timing out
 * together), node:http's parser and the response objects in this one process would otherwise add their
 * own queue to the figure (each of hundreds of answers parsed one after another here), which no
 * requester of its own (one AI agent call each) has. The gateway answers held calls with Content-Length
 * and `Connection: close`, so the body is everything after the head until the socket ends.
 */
export function rawGet(
  url: string,
  options: { headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteAt = 0;
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: target.hostname, port: Number(target.port) });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`timeout after ${options.timeoutMs ?? 60_000} ms`)),
      options.timeoutMs ?? 60_000,
    );
    const onAbort = () => fail(new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      const head = Object.entries({ host: target.host, connection: 'close', ...options.headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\n${head}\r\n`);
    });
    socket.on('data', (c: Buffer) => {
      if (chunks.length === 0) firstByteAt = performance.now();
      chunks.push(c);
    });
    socket.on('error', fail);
    socket.on('end', () => {
      const endedAt = performance.now();
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const raw = Buffer.concat(chunks).toString('utf8');
      const split = raw.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      if (split < 0 || status === 0) {
        reject(new Error(`not an HTTP answer: ${raw.slice(0, 80)}`));
        return;
      }
      const text = raw.slice(split + 4);
      resolve({ status, text, json: () => JSON.parse(text), ms: endedAt - started, endedAt, firstByteAt });
    });
  });
}

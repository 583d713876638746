import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** What came back on a raw connection before the gateway closed it. */
type RawAnswer = { status: number; headers: Map<string, string>; body: unknown; raw: string; closedAfterMs: number };

/**
 * Opens a TCP connection, writes `chunks` (a number is a pause in ms), then reads until the gateway
 * closes the connection. Fails when it is still open after `maxMs`.
 */
function rawExchange(
  port: number,
  chunks: (string | Buffer | number | (() => string))[],
  maxMs = 10_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${maxMs} ms: ${Buffer.concat(received).toString()}`));
    }, maxMs);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (typeof chunk === 'number') await new Promise((r) => setTimeout(r, chunk));
        else if (socket.writable) socket.write(typeof chunk === 'function' ? chunk() : chunk);
      }
    });
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      const raw = Buffer.concat(received).toString();
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: parsed,
        raw,
        closedAfterMs: Date.now() - started,
      });
    });
  });
}

const expectProblemAndClose = (answer: RawAnswer, status: number, slug: string) => {
  expect(answer.raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  expect(answer.headers.get('connection')).toBe('close');
  expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(answer.raw.split('\r\n\r\n')[1]!));
  expect(answer.body).toEqual({
    type: `urn:cheqpoint:problem:${slug}`,
    title: expect.any(String),
    status,
    detail: expect.stringMatching(/connection is closed/),
  });
};

describe("Node's own refusals are problem+json", () => {
  let gw: TestGateway;
  let keys: CreatedAccount;
  beforeAll(async () => {
    gw = await startTestGateway({
      label: 'client_errors',
      config: { CHEQPOINT_HEADERS_TIMEOUT_MS: 500, CHEQPOINT_REQUEST_TIMEOUT_MS: 1_000 },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => gw?.close());

  const port = () => Number(new URL(gw.url).port);
  /** The head of an intake request (built when a test runs: the key exists only then). */
  const inbound = (headers: string) => () =>
    `POST /api/webhooks/inbound?wait=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${keys.flowKey}\r\n` +
    `content-type: application/json\r\n${headers}\r\n`;

  it.each([
    ['a garbage request line', ['GARBAGE\r\n\r\n']],
    ['an unknown method', ['BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']],
    ['a header name with a space', ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n']],
    ['a bare LF inside a header value', ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\rX-B: 2\r\n\r\n']],
    ['a non-hex chunk size', [inbound('transfer-encoding: chunked\r\n'), 'zz\r\n{}\r\n0\r\n\r\n']],
    [
      'both content-length and chunked (smuggling)',
      [inbound('content-length: 5\r\ntransfer-encoding: chunked\r\n'), '0\r\n\r\n'],
    ],
    ['a content-length that is not a number', [inbound('content-length: 1x\r\n'), '{}']],
  ])(
    'When the client sends %s, then 400 bad-request as problem+json and the connection closes',
    async (_what, chunks) => {
      expectProblemAndClose(await rawExchange(port(), chunks), 400, 'bad-request');
    },
  );

  it('When the request headers are larger than Node allows, then 431 headers-too-large as problem+json', async () => {
    const answer = await rawExchange(port(), [
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ]);
    expectProblemAndClose(answer, 431, 'headers-too-large');
  });

  it('When the headers do not arrive within the headers timeout, then 408 request-timeout as problem+json', async () => {
    const answer = await rawExchange(port(), ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '], 5_000);
    expectProblemAndClose(answer, 408, 'request-timeout');
    expect(answer.closedAfterMs).toBeLessThan(500 + 1_500);
  });

  it('When the body does not arrive within the request timeout, then 408 request-timeout as problem+json', async () => {
    const answer = await rawExchange(
      port(),
      [inbound('content-length: 1000\r\n'), '{"action":"', 300, 'a', 300, 'a', 300, 'a', 300, 'a'],
      5_000,
    );
    expectProblemAndClose(answer, 408, 'request-timeout');
    expect(answer.closedAfterMs).toBeLessThan(1_000 + 1_500);
  });

  it('When a keep-alive connection sends a bad second request, then the first answer stands and the second is a 400 problem', async () => {
    const answer = await rawExchange(port(), [
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      200,
      'GARBAGE\r\n\r\n',
    ]);
    const [first, second] = answer.raw.split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 400 /);
    expect(second).toMatch(/content-type: application\/problem\+json/);
    expect(JSON.parse(second!.split('\r\n\r\n')[1]!)).toMatchObject({ type: 'urn:cheqpoint:problem:bad-request' });
  });

  it('When a client keeps sending after the error, then it still gets one answer and the connection closes', async () => {
    const junk = Array.from({ length: 20 }, () => 'MORE GARBAGE\r\n');
    const answer = await rawExchange(port(), ['GARBAGE\r\n\r\n', ...junk.flatMap((j) => [20, j])]);
    expect(answer.raw.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
    expectProblemAndClose(answer, 400, 'bad-request');
  });
});

import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findJsonIssues } from '@cheqpoint/shared';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest, type JsonResponse } from '../support/http.js';

let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
const INBOUND = '/api/webhooks/inbound?wait=0';

beforeAll(async () => {
  gw = await startTestGateway({ label: 'badinput' });
  keys = await gw.createAccount();
});
afterAll(async () => gw?.close());

/** Every error is problem+json with a type, never a stack trace. */
function expectProblem(res: JsonResponse, status: number, type: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: `urn:cheqpoint:problem:${type}`, status });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

const post = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  call(gw.url, 'POST', INBOUND, { key: keys.flowKey, rawBody: body, headers });

async function approvalCount() {
  return gw.conn.collection('approvals').countDocuments({});
}

describe('Bad input on intake', () => {
  it('When the body is 1 byte over 100 kB, then 413 names the limit; exactly 100 kB parses', async () => {
    const base = JSON.stringify(uniqueRequest({ details: { ticket_id: '1', pad: '' } }));
    const exact = base.replace('"pad":""', `"pad":"${'x'.repeat(102_400 - base.length)}"`);
    expect(Buffer.byteLength(exact)).toBe(102_400);
    expect((await post(exact)).status).toBe(202);
    const over = exact.replace('"pad":"', '"pad":"x');
    const res = await post(over);
    expectProblem(res, 413, 'payload-too-large');
    expect(res.body.detail).toMatch(/100 kB/);
  });

  it.each([['{"a":'], ['{"action":"x",}'], ['"str"'], ['42'], ['nul']])(
    'When the body is malformed JSON (%j), then 400',
    async (body) => {
      expectProblem(await post(body), 400, 'malformed-json');
    },
  );

  it('When the body starts with a byte order mark, then 400', async () => {
    // [1] body-parser strips a UTF-8 BOM, so the rest is checked as usual: an incomplete request is a 400.
    const res = await post('\uFEFF{"action":"x"}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it.each([
    [{}, 'no content-type'],
    [{ 'content-type': 'text/plain' }, 'text/plain'],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'form'],
    [{ 'content-type': 'application/json; charset=bogus' }, 'bogus charset'],
    [{ 'content-type': 'application/json', 'content-encoding': 'bogus' }, 'bogus encoding'],
  ] as [Record<string, string>, string][])(
    'When the content type or encoding is unsupported (%j), then 415',
    async (headers) => {
      expectProblem(
        await post(JSON.stringify(uniqueRequest()), headers as Record<string, string>),
        415,
        'unsupported-media-type',
      );
    },
  );

  /** A valid intake body with `bytes` spliced raw into the summary. */
  const withRawBytes = (bytes: number[]) => {
    const [head, tail] = JSON.stringify(uniqueRequest({ summary: 'MARK' })).split('MARK') as [string, string];
    return Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
  };

  it.each([
    ['a lone continuation byte', [0x61, 0x80, 0x62]],
    ['0xFF', [0xff]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('When the body holds invalid UTF-8 (%s), then 400 malformed-json and nothing is stored', async (_what, bytes) => {
    const before = await approvalCount();
    const res = await post(withRawBytes(bytes));
    expectProblem(res, 400, 'malformed-json');
    expect(res.body.detail).toMatch(/not valid UTF-8/);
    const gzipped = await post(gzipSync(withRawBytes(bytes)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });
    expectProblem(gzipped, 400, 'malformed-json');
    expect(await approvalCount()).toBe(before);
  });

  it('When the body holds valid multi-byte UTF-8 as raw bytes, then it is accepted as sent', async () => {
    const created = await post(withRawBytes([...Buffer.from('Zürich – 東京 – 🚀')]));
    expect(created.status).toBe(202);
    const read = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: keys.flowKey });
    expect(read.body.summary).toBe('Zürich – 東京 – 🚀');
  });

  it('When the JSON body is empty, then 400 lists the missing fields', async () => {
    const res = await post('');
    expectProblem(res, 400, 'validation-error');
    const again = await post('{}');
    expectProblem(again, 400, 'validation-error');
    expect(again.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['action', 'details', 'summary']);
  });

  it('When a gzip body inflates past 100 kB, then 413', async () => {
    const big = JSON.stringify(uniqueRequest({ details: { ticket_id: '1', pad: 'y'.repeat(200_000) } }));
    const res = await post(gzipSync(big), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expectProblem(res, 413, 'payload-too-large');
    const small = await post(gzipSync(JSON.stringify(uniqueRequest())), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(small.status).toBe(202);
  });

  it.each([
    ['gzip', 'not gzip at all'],
    ['gzip', 'truncated'],
    ['deflate', 'not deflate at all'],
  ])(
    'When a %s body cannot be decompressed (%s), then 400 says so and names Content-Encoding; nothing is stored',
    async (encoding, what) => {
      const before = await approvalCount();
      const whole = gzipSync(JSON.stringify(uniqueRequest()));
      const body = what === 'truncated' ? whole.subarray(0, whole.length - 12) : Buffer.from(what);
      const res = await post(body, { 'content-type': 'application/json', 'content-encoding': encoding });
      expectProblem(res, 400, 'bad-request');
      expect(res.body.detail).toMatch(new RegExp(`could not be decompressed.*${encoding}`, 'i'));
      expect(res.body.errors).toEqual([{ path: 'Content-Encoding', message: expect.stringContaining(encoding) }]);
      expect(await approvalCount()).toBe(before);
    },
  );

  it('When an unknown top-level field is sent, then 400 names it; the documented optional fields are accepted', async () => {
    const res = await post(JSON.stringify({ ...uniqueRequest(), tenantId: 'acc_other', timeout: 5 }));
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'tenantId', message: 'Unknown field' },
        { path: 'timeout', message: 'Unknown field' },
      ]),
    );
    const ok = await post(
      JSON.stringify(
        uniqueRequest({
          riskLevel: 'HIGH',
          priority: 'urgent',
          agentName: 'Answer Bot',
          metadata: { flow: 'cancel-v2' },
          webhookUrl: 'https://hooks.example.com/cheqpoint',
        }),
      ),
    );
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({
      riskLevel: 'high',
      priority: 'urgent',
      agentName: 'Answer Bot',
      metadata: { flow: 'cancel-v2' },
    });
  });

  it.each([
    [{ callbackUrl: 123 }, 'callbackUrl'],
    [{ action: ['a'] }, 'action'],
    [{ summary: 5 }, 'summary'],
    [{ details: 'x' }, 'details'],
    [{ details: [1, 2] }, 'details'],
    [{ riskLevel: 'extreme' }, 'riskLevel'],
    [{ details: { ticket_id: { nested: 1 } } }, 'details.ticket_id'],
    [{ details: { ticketId: '' } }, 'details.ticketId'],
    [{ callbackUrl: 'http://hooks.example.com/x' }, 'callbackUrl'],
    [{ webhookUrl: 'ftp://hooks.example.com/x' }, 'webhookUrl'],
  ])('When a field has the wrong type or value (%j), then 400 names %s', async (override, path) => {
    const res = await post(JSON.stringify({ ...uniqueRequest(), ...override }));
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('When query parameters are repeated or malformed, then 400 names them', async () => {
    const list = await call(gw.url, 'GET', '/api/agent/approvals?status=pending&status=approved', {
      key: keys.agentKey,
    });
    expectProblem(list, 400, 'validation-error');
    expect(list.body.errors[0].path).toBe('status');
    for (const wait of ['abc', '26', '-1', '1e3']) {
      const res = await call(gw.url, 'POST', `/api/webhooks/inbound?wait=${wait}`, {
        key: keys.flowKey,
        body: uniqueRequest(),
      });
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors[0].path).toBe('wait');
    }
  });

  it('When operators are injected into fields or the query, then 400 and nothing is read or changed', async () => {
    const before = await approvalCount();
    for (const override of [{ action: { $ne: null } }, { summary: { $gt: '' } }, { action: { $where: '1' } }]) {
      expectProblem(await post(JSON.stringify({ ...uniqueRequest(), ...override })), 400, 'validation-error');
    }
    expectProblem(
      await call(gw.url, 'GET', '/api/agent/approvals?ticketId[$ne]=x', { key: keys.agentKey }),
      400,
      'validation-error',
    );
    expectProblem(
      await call(gw.url, 'GET', '/api/approvals/%7B%22%24ne%22%3Anull%7D', { key: keys.flowKey }),
      404,
      'not-found',
    );
    expect(await approvalCount()).toBe(before);
  });

  it('When __proto__, constructor or prototype keys are sent (top level or nested), then 400 and no prototype changes', async () => {
    const bodies = [
      `{"action":"a","summary":"s","details":{},"__proto__":{"isAdmin":true}}`,
      `{"action":"a","summary":"s","details":{"__proto__":{"isAdmin":true}}}`,
      `{"action":"a","summary":"s","details":{"deep":[{"constructor":{"prototype":{"isAdmin":true}}}]}}`,
      `{"action":"a","summary":"s","details":{},"metadata":{"prototype":{"isAdmin":true}}}`,
    ];
    for (const body of bodies) expectProblem(await post(body), 400, 'validation-error');
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('isAdmin');
  });

  it('When keys such as toString or hasOwnProperty appear next to an invalid field, then the error is still a clean 400', async () => {
    const res = await post(
      JSON.stringify({ action: 'a', summary: 7, details: { toString: 'x', hasOwnProperty: 1, valueOf: null } }),
    );
    expectProblem(res, 400, 'validation-error');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'summary' })]);
  });

  it.each(['not-an-id', '%00', 'apr_' + 'a'.repeat(10_000), 'apr_XYZ'])(
    'When the path id is malformed (%s…), then 404 like an unknown id',
    async (id) => {
      const res = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
      expectProblem(res, 404, 'not-found');
    },
  );

  it('When text fields hold unpaired surrogates, NUL, or numbers that cannot round-trip, then 400', async () => {
    const cases = [
      '{"action":"a","summary":"\\ud800","details":{}}',
      '{"action":"a\\u0000b","summary":"s","details":{}}',
      '{"action":"a","summary":"s","details":{"n":1e400}}',
      '{"action":"a","summary":"s","details":{"n":-0}}',
    ];
    for (const body of cases) expectProblem(await post(body), 400, 'validation-error');
  });
});

describe('Ticket ids follow one rule at intake and in the list', () => {
  it.each([
    ['a NUL', 'details.ticket_id', '{"ticket_id":"12\\u00003"}', 'NUL', '12\u00003'],
    ['a lone surrogate', 'details.ticket_id', '{"ticket_id":"12\\ud800"}', 'unpaired surrogate', null],
    ['a lone low surrogate', 'details.ticketId', '{"ticketId":"\\udc00"}', 'unpaired surrogate', null],
    ['101 characters', 'details.ticket_id', `{"ticket_id":"${'7'.repeat(101)}"}`, '100', '7'.repeat(101)],
    ['blanks', 'details.ticket_id', '{"ticket_id":"  ","ticketId":"5"}', 'non-empty', null],
  ])(
    'When details.ticket_id holds %s, then 400 naming %s, nothing is stored, and the list refuses the same id',
    async (_what, path, details, reason, asQuery) => {
      const before = await approvalCount();
      const res = await post(`{"action":"refund","summary":"s","details":${details}}`);
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors).toEqual([{ path, message: expect.stringContaining(reason) }]);
      expect(await approvalCount()).toBe(before);
      // A lone surrogate cannot even be put in a UTF-8 query string, so only the others are listed.
      if (asQuery === null) return;
      const list = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${encodeURIComponent(asQuery)}`, {
        key: keys.agentKey,
      });
      expectProblem(list, 400, 'validation-error');
    },
  );

  it('When details.ticket_id is unusual but valid text, then it is stored as sent (trimmed) and the list finds it', async () => {
    const ticketId = `Zürich 🚀 ${Date.now()}`;
    const created = await post(JSON.stringify(uniqueRequest({ details: { ticket_id: ` ${ticketId} ` } })));
    expect(created.status).toBe(202);
    const list = await call(gw.url, 'GET', `/api/agent/approvals?ticketId=${encodeURIComponent(ticketId)}`, {
      key: keys.agentKey,
    });
    expect(list.status).toBe(200);
    expect(
      list.body.approvals.map((a: { approvalId: string; ticketId: string }) => [a.approvalId, a.ticketId]),
    ).toEqual([[created.body.approvalId, ticketId]]);
  });
});

describe('Payloads round-trip exactly', () => {
  it('When details hold dotted keys, $ keys, nested arrays, NUL and lone surrogates, then GET returns them byte for byte', async () => {
    const details = {
      ticket_id: 77,
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      'a.b': 1,
      $set: { 'x.y': ['$z'] },
      matrix: [
        [1, 2],
        [3, [4, [5]]],
      ],
      nul: 'a\u0000b',
      lone: '\ud800',
      unicode: 'Zürich – 東京 – 🚀',
      empty: {},
      list: [],
      nothing: null,
      big: 12345678901234,
      float: 0.1,
    };
    const raw = JSON.stringify({ action: 'update_account', summary: 'Round trip', details });
    const created = await post(raw);
    expect(created.status).toBe(202);
    const read = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: keys.flowKey });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body.details)).toBe(JSON.stringify(details));
    expect(read.body.ticketId).toBe('77');
  });
});

describe('Fuzzing intake and decisions', () => {
  const ALLOWED = new Set([200, 201, 202, 400, 401, 404, 409, 413, 415, 422, 429]);

  it('When random JSON and headers are posted, then the answer is never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ action: fc.anything(), summary: fc.anything(), details: fc.anything() }, { requiredKeys: [] }),
          fc.dictionary(fc.string(), fc.jsonValue()),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/json; charset=latin1',
        ),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        async (value, contentType, idem) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (idem !== undefined && /^[\x20-\x7e]*$/.test(idem)) headers['idempotency-key'] = idem;
          let body: string;
          try {
            body = JSON.stringify(value) ?? 'null';
          } catch {
            body = 'null';
          }
          const res = await post(body, headers);
          expect(ALLOWED.has(res.status), `${res.status} ${res.text}`).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('When valid requests are generated, then each is accepted and round-trips through GET', async () => {
    const key = fc.string({ minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          action: fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.isWellFormed() && !s.includes('\u0000')),
          summary: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.isWellFormed() && !s.includes('\u0000')),
          details: fc
            .dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })
            .filter((d) => findJsonIssues(d).length === 0),
        }),
        async (request) => {
          const details = { ...request.details, nonce: Math.random() };
          delete (details as Record<string, unknown>)['ticket_id'];
          delete (details as Record<string, unknown>)['ticketId'];
          const created = await post(JSON.stringify({ ...request, details }));
          expect(created.status, created.text).toBe(202);
          const read = await call(gw.url, 'GET', `/api/approvals/${created.body.approvalId}`, { key: keys.flowKey });
          expect(JSON.stringify(read.body.details)).toBe(JSON.stringify(JSON.parse(JSON.stringify(details))));
          expect(read.body.action).toBe(request.action);
        },
      ),
      { numRuns: 60 },
    );
  });
});

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { systemResolver, type Resolver } from '../../server/src/callbacks/callback-url.js';
import { BlockedAddressError, createCallbackClient, safeLookup } from '../../server/src/callbacks/safe-client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { agent, call, uniqueRequest } from '../support/http.js';
import { startConnectionCounter, startReceiver, type Receiver } from '../support/receiver.js';

const PUBLIC = '93.184.216.34';

/** DNS for the tests: fixed answers, and names whose answer changes after the first lookup (rebinding). */
function fakeResolver(): Resolver & { lookups: Map<string, number> } {
  const lookups = new Map<string, number>();
  const resolver = async (hostname: string) => {
    const n = (lookups.get(hostname) ?? 0) + 1;
    lookups.set(hostname, n);
    if (hostname === 'loopback.example.com') return ['127.0.0.1'];
    if (hostname === 'mixed.example.com') return [PUBLIC, '127.0.0.1'];
    if (hostname === 'rebind.example.com') return n === 1 ? [PUBLIC] : ['127.0.0.1'];
    if (hostname === 'mixed-later.example.com') return n === 1 ? [PUBLIC] : [PUBLIC, '127.0.0.1'];
    if (hostname === 'v6-later.example.com') return n === 1 ? [PUBLIC] : ['::ffff:127.0.0.1'];
    // IPv4-compatible (deprecated ::/96) and NAT64 forms of loopback and metadata.
    if (hostname === 'compat-later.example.com') return n === 1 ? [PUBLIC] : ['::7f00:1'];
    if (hostname === 'nat64-later.example.com') return n === 1 ? [PUBLIC] : ['64:ff9b::a9fe:a9fe'];
    if (hostname === 'compat.example.com') return ['::a00:1'];
    if (hostname === 'receiver.test') return ['127.0.0.1'];
    throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  };
  return Object.assign(resolver, { lookups });
}

let counter: Awaited<ReturnType<typeof startConnectionCounter>>;
beforeAll(async () => {
  counter = await startConnectionCounter();
});
afterAll(async () => counter?.close());

describe('callbackUrl checked at intake', () => {
  let gw: TestGateway;
  let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
  beforeAll(async () => {
    gw = await startTestGateway({ label: 'ssrf_intake', resolver: fakeResolver() });
    keys = await gw.createAccount();
  });
  afterAll(async () => gw?.close());

  const hosts = [
    '127.0.0.1',
    'localhost',
    '0.0.0.0',
    '[::]',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[0:0:0:0:0:ffff:7f00:1]',
    '2130706433',
    '0x7f.1',
    '0177.0.0.1',
    '127.1',
    '169.254.169.254',
    '[fd00:ec2::254]',
    '100.100.100.200',
    '192.0.0.192',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '[fc00::1]',
    '[fe80::1]',
    '[fec0::1]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '[2001:0:1::1]',
    // IPv4-compatible IPv6 (the deprecated ::/96), all of it, whatever it embeds; the rest of ::/8.
    '[::7f00:1]',
    '[::127.0.0.1]',
    '[::a9fe:a9fe]',
    '[::a00:1]',
    '[::808:808]',
    '[::2]',
    '[::1:0:7f00:1]',
    '[::ffff:0:7f00:1]',
    '[::ffff:a9fe:a9fe]',
    // NAT64 embedding private addresses; 6to4 whatever it embeds; discard and documentation ranges.
    '[64:ff9b::a9fe:a9fe]',
    '[64:ff9b::a00:1]',
    '[64:ff9b:1::808:808]',
    '[2002:a9fe:a9fe::]',
    '[2002:808:808::]',
    '[100::1]',
    '[2001:db8::1]',
    'compat.example.com',
    '224.0.0.1',
    '255.255.255.255',
    'loopback.example.com',
    'mixed.example.com',
    'metadata.google.internal',
    'router.local',
  ];

  it.each(hosts.flatMap((host) => ['https', 'http'].map((scheme) => [`${scheme}://${host}`])))(
    'When callbackUrl is %s:<port>/…, then 400 naming callbackUrl and nothing is contacted',
    async (base) => {
      const callbackUrl = `${base}:${counter.port}/latest/meta-data`;
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl }),
      });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:cheqpoint:problem:validation-error');
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'callbackUrl' })]);
      expect(counter.connections()).toBe(0);
    },
  );

  it.each([
    ['ftp://hooks.example.com/x', /https/],
    ['file:///etc/passwd', /https/],
    ['gopher://hooks.example.com:7070/_x', /https/],
    ['data:text/plain,hi', /https/],
    ['javascript:alert(1)', /https/],
    ['http://hooks.example.com/x', /https/],
    ['https://user:pw@hooks.example.com/x', /user name or password/],
    ['https://hooks.example.com:22/x', /port 22/],
    ['https://hooks.example.com:0/x', /port 0/],
    ['https://hooks.example.com:99999/x', /absolute URL/],
    ['https://hooks.example.com/x#frag', /fragment/],
    ['https://hooks.example.com/x\r\nX-Injected: 1', /control characters/],
    ['https://hooks.example.com/ x', /whitespace/],
    ['/relative/path', /absolute URL/],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, /2048/],
  ])('When callbackUrl is %s, then 400 with a reason', async (callbackUrl, reason) => {
    const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: uniqueRequest({ callbackUrl }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toMatch(reason);
  });

  it('When callbackUrl is a public https URL, or a name DNS cannot resolve yet, then it is accepted', async () => {
    for (const callbackUrl of [
      `https://${PUBLIC}/cb`,
      'https://hooks.example.com/cb',
      'https://[2606:4700::1111]:8443/cb',
      // Embedded public IPv4: IPv4-mapped, and NAT64 (what DNS64 answers on an IPv6-only network).
      'https://[::ffff:93.184.216.34]/cb',
      'https://[64:ff9b::93.184.216.34]:8443/cb',
    ]) {
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl }),
      });
      expect(res.status).toBe(202);
    }
  });
});

describe('Addresses checked again at delivery, after DNS', () => {
  let gw: TestGateway;
  let keys: Awaited<ReturnType<TestGateway['createAccount']>>;
  const resolver = fakeResolver();
  beforeAll(async () => {
    gw = await startTestGateway({
      label: 'ssrf_delivery',
      resolver,
      config: { CHEQPOINT_DISPATCH_INTERVAL_MS: 50, CHEQPOINT_CALLBACK_RETRY_SCHEDULE: [100, 100] },
    });
    keys = await gw.createAccount();
  });
  afterAll(async () => gw?.close());

  it.each([
    ['mixed-later.example.com', /resolves to a private, loopback or reserved address \(127\.0\.0\.1\)/],
    ['rebind.example.com', /resolves to a private, loopback or reserved address \(127\.0\.0\.1\)/],
    ['v6-later.example.com', /\(::ffff:127\.0\.0\.1\)/],
    ['compat-later.example.com', /\(::7f00:1\)/],
    ['nat64-later.example.com', /\(64:ff9b::a9fe:a9fe\)/],
  ])(
    'When %s resolved public at intake and to loopback at delivery, then it is blocked, recorded and never retried',
    async (host, error) => {
      const callbackUrl = `https://${host}:${counter.port}/cb`;
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest({ callbackUrl }),
      });
      expect(res.status).toBe(202);
      const id = res.body.approvalId as string;
      const decided = await call(gw.url, 'POST', `/api/agent/approvals/${id}/decision`, {
        key: keys.agentKey,
        body: { decision: 'approve', agent },
      });
      expect(decided.status).toBe(200);
      const { Decision } = approvalModels(gw.conn);
      for (let i = 0; i < 200; i++) {
        if ((await Decision.findById(id).lean())?.delivery.state === 'blocked') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 400));
      const status = await call(gw.url, 'GET', `/api/approvals/${id}`, { key: keys.flowKey });
      expect(status.body.status).toBe('approved');
      expect(status.body.callback).toMatchObject({ status: 'blocked', attempts: 1, nextAttemptAt: null });
      expect(status.body.callback.lastError).toMatch(error);
      expect(resolver.lookups.get(host)).toBe(2);
      expect(counter.connections()).toBe(0);
    },
  );
});

describe('The callback client', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver((req) =>
      req.path === '/r302'
        ? { status: 302, headers: { location: `http://127.0.0.1:${counter.port}/latest/meta-data` } }
        : req.path === '/r307'
          ? { status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data' } }
          : { status: 204 },
    );
  });
  afterAll(async () => receiver?.close());

  const lookupResult = (options: { all?: boolean; family?: number }, resolver: Resolver) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
      safeLookup(resolver, () => false)('victim.example.com', options as never, (err, address, family) =>
        resolve({ err, address, family }),
      );
    });

  it('When the lookup is asked for all addresses or for one, then both refuse a list containing a loopback address', async () => {
    const mixed: Resolver = async () => [PUBLIC, '127.0.0.1'];
    for (const options of [{ all: true }, {}, { family: 4 }, { all: true, family: 0 }]) {
      const { err } = await lookupResult(options, mixed);
      expect(err).toBeInstanceOf(BlockedAddressError);
    }
    const clean: Resolver = async () => [PUBLIC, '2606:4700::1111'];
    expect((await lookupResult({ all: true }, clean)).address).toEqual([
      { address: PUBLIC, family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
    expect(await lookupResult({}, clean)).toMatchObject({ err: null, address: PUBLIC, family: 4 });
    expect(await lookupResult({ family: 6 }, clean)).toMatchObject({ address: '2606:4700::1111', family: 6 });
  });

  it('When Node connects through the lookup with and without happy eyeballs, then no connection is opened', async () => {
    const lookup = safeLookup(
      async () => [PUBLIC, '127.0.0.1'],
      () => false,
    );
    for (const autoSelectFamily of [true, false]) {
      const err = await new Promise<Error>((resolve) => {
        const socket = net.connect({ host: 'victim.example.com', port: counter.port, lookup, autoSelectFamily });
        socket.once('error', resolve);
        socket.once('connect', () => resolve(new Error('connected')));
      });
      expect(err).toBeInstanceOf(BlockedAddressError);
    }
    expect(counter.connections()).toBe(0);
  });

  it('When the production client (no allowlist, system DNS) is aimed at loopback, then it is blocked without connecting', async () => {
    const client = createCallbackClient({ resolver: systemResolver, allowlist: [] });
    try {
      for (const url of [
        `http://127.0.0.1:${counter.port}/`,
        `https://127.0.0.1:${counter.port}/`,
        `https://[::1]:${counter.port}/`,
        `https://localhost:${counter.port}/`,
        `https://2130706433:${counter.port}/`,
        `https://[::7f00:1]:${counter.port}/`,
        `https://[::127.0.0.1]:${counter.port}/`,
        `https://[64:ff9b::7f00:1]:${counter.port}/`,
      ]) {
        const result = await client.post(url, { headers: {}, body: '{}' });
        expect(result).toMatchObject({ kind: 'error', reason: 'blocked' });
      }
    } finally {
      await client.close();
    }
    expect(counter.connections()).toBe(0);
  });

  it('When 127.0.0.1:<port> is allowlisted, then only that port is reachable, over http, and by that exact name', async () => {
    const client = createCallbackClient({ resolver: fakeResolver(), allowlist: [`127.0.0.1:${receiver.port}`] });
    try {
      expect(await client.post(receiver.url('/ok'), { headers: {}, body: '{}' })).toMatchObject({
        kind: 'response',
        status: 204,
      });
      for (const url of [
        `http://127.0.0.1:${counter.port}/`,
        `https://127.0.0.1:${counter.port}/`,
        `http://localhost:${receiver.port}/`,
        `http://receiver.test:${receiver.port}/`,
        `http://[::ffff:127.0.0.1]:${counter.port}/`,
      ]) {
        expect(await client.post(url, { headers: {}, body: '{}' })).toMatchObject({ kind: 'error', reason: 'blocked' });
      }
    } finally {
      await client.close();
    }
    expect(counter.connections()).toBe(0);
  });

  it('When an allowlisted name resolves to loopback, then it is allowed; the same name on another port is not', async () => {
    const client = createCallbackClient({ resolver: fakeResolver(), allowlist: [`receiver.test:${receiver.port}`] });
    try {
      expect(await client.post(`http://receiver.test:${receiver.port}/ok`, { headers: {}, body: '{}' })).toMatchObject({
        status: 204,
      });
      expect(await client.post(`https://receiver.test:${counter.port}/`, { headers: {}, body: '{}' })).toMatchObject({
        kind: 'error',
        reason: 'blocked',
        message: expect.stringMatching(/127\.0\.0\.1/),
      });
    } finally {
      await client.close();
    }
    expect(counter.connections()).toBe(0);
  });

  it('When the receiver redirects (302, 307) to metadata or loopback, then the redirect is not followed', async () => {
    const client = createCallbackClient({ resolver: fakeResolver(), allowlist: [`127.0.0.1:${receiver.port}`] });
    try {
      expect(await client.post(receiver.url('/r302'), { headers: {}, body: '{}' })).toMatchObject({
        kind: 'response',
        status: 302,
      });
      expect(await client.post(receiver.url('/r307'), { headers: {}, body: '{}' })).toMatchObject({
        kind: 'response',
        status: 307,
      });
    } finally {
      await client.close();
    }
    expect(receiver.requests.map((r) => r.path)).toEqual(['/ok', '/ok', '/r302', '/r307']);
    expect(counter.connections()).toBe(0);
  });
});

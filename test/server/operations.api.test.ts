import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { createApp } from '../../server/src/app.js';
import type { ApprovalsService } from '../../server/src/approvals/approvals.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { freePort } from '../../server/src/db/embedded-ferretdb.js';
import { createLogger } from '../../server/src/lib/logger.js';
import { startTestGateway, uniqueDbName, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = path.join(REPO_ROOT, 'server', 'src', 'main.ts');

/** Runs the real gateway entry point as a child process. */
function spawnGateway(env: Record<string, string>) {
  const child = spawn(TSX, [MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitForReady(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway at ${url} not ready`);
}

describe('Health, readiness and the OpenAPI document', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ label: 'ops' });
  });
  afterAll(async () => gw?.close());

  it('When probed, then /healthz and /readyz answer 200 and /api/openapi.json describes the contract', async () => {
    expect((await call(gw.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(gw.url, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
    const doc = await call(gw.url, 'GET', '/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/webhooks/inbound',
        '/api/approvals/{approvalId}',
        '/api/agent/approvals',
        '/api/agent/approvals/{approvalId}/decision',
      ]),
    );
    expect(doc.body.components.schemas.InboundRequest.required).toEqual(['action', 'summary', 'details']);
    expect(doc.body.components.schemas.InboundRequest.additionalProperties).toBe(false);
  });

  it('When an unknown route is called, then 404 problem+json', async () => {
    const res = await call(gw.url, 'GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('Programming errors', () => {
  it('When a handler throws or rejects, then 500 problem+json without a stack, logged, and the process keeps serving', async () => {
    const gw = await startTestGateway({ label: 'throws' });
    const keys = await gw.createAccount();
    const lines: string[] = [];
    const broken = {
      get: () => {
        throw new TypeError('boom: cannot read x of undefined');
      },
      waitForDecision: () => Promise.reject(new RangeError('async boom')),
    } as unknown as ApprovalsService;
    const app = createApp({
      conn: gw.conn,
      accounts: accountsService(gw.conn),
      approvals: broken,
      logger: createLogger('error', (l) => lines.push(l)),
      isShuttingDown: () => false,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      for (const suffix of ['', '?wait=1']) {
        const res = await call(url, 'GET', `/api/approvals/apr_${'1'.repeat(32)}${suffix}`, { key: keys.flowKey });
        expect(res.status).toBe(500);
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
        expect(res.body.type).toBe('urn:cheqpoint:problem:internal-error');
        expect(res.text).not.toMatch(/boom|\.ts:\d+/);
      }
      expect(lines.join('\n')).toMatch(/boom/);
      expect((await call(url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      server.close();
      await gw.close();
    }
  });
});

describe('Database down', () => {
  it('When the database stops answering, then 503 with Retry-After (not 500); after recovery, requests succeed again', async () => {
    const base = new URL(inject('mongodbUri'));
    const proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port) });
    const conn = await connectDatabase(`mongodb://127.0.0.1:${proxy.port}/`, uniqueDbName('down'));
    const gw = await startTestGateway({ conn });
    const keys = await gw.createAccount();
    try {
      expect(
        (await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body: uniqueRequest() }))
          .status,
      ).toBe(202);
      proxy.setMode('reset');
      const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
        key: keys.flowKey,
        body: uniqueRequest(),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body.type).toBe('urn:cheqpoint:problem:database-unavailable');
      expect((await call(gw.url, 'GET', '/readyz')).status).toBe(503);
      proxy.setMode('pass');
      let ok = 0;
      for (let i = 0; i < 40 && ok !== 202; i++) {
        ok = (await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: keys.flowKey, body: uniqueRequest() }))
          .status;
        if (ok !== 202) await new Promise((r) => setTimeout(r, 250));
      }
      expect(ok).toBe(202);
    } finally {
      await gw.close();
      await proxy.close();
    }
  });
});

describe('Process lifecycle (the real entry point)', () => {
  it('When SIGTERM arrives with 50 held waits, then all are answered with the current state and the process exits 0', async () => {
    const dbName = uniqueDbName('sigterm');
    const uri = `${inject('mongodbUri')}${dbName}`;
    const conn = await connectDatabase(uri);
    const keys = await accountsService(conn).createAccount('sigterm');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const gateway = spawnGateway({ MONGODB_URI: uri, PORT: String(port), NODE_ENV: 'test' });
    try {
      await waitForReady(url);
      const waits = Array.from({ length: 50 }, () =>
        call(url, 'POST', '/api/webhooks/inbound?wait=25', { key: keys.flowKey, body: uniqueRequest() }),
      );
      // Hold until every call is parked in its wait (each stores one approval first).
      for (let i = 0; i < 100 && (await conn.collection('approvals').countDocuments({})) < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      gateway.child.kill('SIGTERM');
      const answers = await Promise.all(waits);
      for (const res of answers) {
        expect(res.status).toBe(202);
        expect(res.body.status).toBe('pending');
      }
      expect(await gateway.exited).toBe(0);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      gateway.child.kill('SIGKILL');
      await conn.dropDatabase().catch(() => {});
      await conn.close();
    }
  });

  it('When a variable is invalid, then the gateway refuses to start and names it', async () => {
    const gateway = spawnGateway({ PORT: 'eighty', MONGODB_URI: 'postgres://x', NODE_ENV: 'test' });
    expect(await gateway.exited).toBe(78);
    expect(gateway.output()).toMatch(/PORT/);
    expect(gateway.output()).toMatch(/MONGODB_URI: must start with mongodb:\/\//);
  });

  it('When NODE_ENV=production and a callback allowlist is set, then the gateway refuses to start', async () => {
    const gateway = spawnGateway({ NODE_ENV: 'production', CHEQPOINT_CALLBACK_ALLOWLIST: '127.0.0.1:9999' });
    expect(await gateway.exited).toBe(78);
    expect(gateway.output()).toMatch(/CHEQPOINT_CALLBACK_ALLOWLIST/);
  });

  it('When there is no MONGODB_URI, no FerretDB binary and no Go, then the message names both ways out', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'cqp-nogo-'));
    const gateway = spawnGateway({
      PATH: path.dirname(process.execPath),
      CHEQPOINT_TOOLS_DIR: path.join(empty, 'tools'),
      CHEQPOINT_DATA_DIR: path.join(empty, 'data'),
      CHEQPOINT_EMBEDDED_DB_PORT: String(await freePort()),
      NODE_ENV: 'test',
    });
    expect(await gateway.exited).toBe(69);
    expect(gateway.output()).toMatch(/MONGODB_URI/);
    expect(gateway.output()).toMatch(/Install Go/);
  });
});

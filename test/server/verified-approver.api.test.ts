import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { REPO_ROOT } from '../../server/src/config.js';
import { createLogger } from '../../server/src/lib/logger.js';
import { zendeskVerifications } from '../../server/src/zendesk/verifications.js';
import {
  createSignedUrls,
  signJwt,
  signedUrlClaims,
  signedUrlToken,
  type ISignedUrls,
} from '../../zendesk-app/harness/signed-urls.js';
import { movableClock } from '../support/clock.js';
import { call, SAMPLE_1 } from '../support/http.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ADA = { id: 381, name: 'Ada Lovelace', email: 'ada@example.com', role: 'agent' };
const GRACE = { id: '7', name: 'Grace Hopper', email: 'grace@example.com' };
const PAGE = '<!doctype html><html><head><title>Cheqpoint</title></head><body><div id="root"></div></body></html>';

let gw: TestGateway;
let appDir: string;
let verified: CreatedAccount;
let plain: CreatedAccount;
let signer: ISignedUrls;
const logLines: string[] = [];

beforeAll(async () => {
  appDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-app-'));
  writeFileSync(path.join(appDir, 'index.html'), PAGE);
  writeFileSync(path.join(appDir, 'index.js'), 'console.log("app")');
  gw = await startTestGateway({
    label: 'verified',
    config: { CHEQPOINT_APP_DIR: appDir },
    logger: createLogger('debug', (line) => logLines.push(line)),
  });
  verified = await gw.createAccount('verified');
  plain = await gw.createAccount('plain');
  signer = createSignedUrls({ subdomain: 'acme', installationId: '360001' });
  await zendeskVerifications(gw.conn).configure(verified.accountId, {
    publicKeyPem: signer.publicKeyPem,
    installationId: signer.installationId,
    subdomain: 'acme',
  });
});
afterAll(async () => {
  await gw?.close();
  rmSync(appDir, { recursive: true, force: true });
});

/** Loads the app page as Zendesk does for a signed location: a form POST with the token. */
async function openApp(token: string) {
  const res = await fetch(`${gw.url}/zendesk/app/index.html?origin=https%3A%2F%2Facme.zendesk.com&app_guid=g1`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  const text = await res.text();
  const session = /<meta name="cheqpoint-session" content="([^"]+)">/.exec(text)?.[1] ?? null;
  return { status: res.status, type: res.headers.get('content-type'), text, session };
}

async function submit(account: CreatedAccount): Promise<string> {
  const res = await call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', { key: account.flowKey, body: SAMPLE_1 });
  expect(res.status).toBe(202);
  return res.body.approvalId as string;
}

function decide(account: CreatedAccount, approvalId: string, agent: object, session?: string | null) {
  return call(gw.url, 'POST', `/api/agent/approvals/${approvalId}/decision`, {
    key: account.agentKey,
    body: { decision: 'approve', agent },
    headers: session ? { 'x-cheqpoint-session': session } : {},
  });
}

const adaAgent = { id: String(ADA.id), name: ADA.name, email: ADA.email };

describe('Signed-URL tokens', () => {
  it('When Zendesk posts a valid token, then the app page carries a session of that user and a decision with it is attributed to the verified user, in decidedBy and the audit trail', async () => {
    const token = signedUrlToken(signer, ADA);
    const page = await openApp(token);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('<div id="root"></div>');
    expect(page.session).toMatch(/^v1\./);

    const approvalId = await submit(verified);
    const res = await decide(verified, approvalId, adaAgent, page.session);
    expect(res.status).toBe(200);
    expect(res.body.decidedBy).toEqual({ type: 'agent', ...adaAgent, verified: true });
    const read = await call(gw.url, 'GET', `/api/approvals/${approvalId}`, { key: verified.agentKey });
    expect(read.body.decidedBy.verified).toBe(true);
    const events = await call(gw.url, 'GET', `/api/approvals/${approvalId}/events`, { key: verified.agentKey });
    const decided = (events.body.events as { type: string; actor: unknown }[]).find((e) => e.type === 'decided');
    expect(decided?.actor).toEqual({ type: 'agent', id: '381', name: ADA.name, verified: true });

    // neither the token nor the session is ever logged
    const log = logLines.join('\n');
    expect(log).not.toContain(token.split('.')[2]);
    expect(log).not.toContain(page.session);
  });

  it('When the token is forged, HS256 or none, expired, tampered, or of another installation or subdomain, then no page and no session (401 naming token)', async () => {
    const other = createSignedUrls({ subdomain: 'acme', installationId: '360001' });
    const claims = signedUrlClaims(signer, ADA);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const hs256Input = `${b64({ typ: 'JWT', alg: 'HS256' })}.${b64(claims)}`;
    const hs256 = `${hs256Input}.${createHmac('sha256', signer.publicKeyPem).update(hs256Input).digest('base64url')}`;
    const none = `${b64({ typ: 'JWT', alg: 'none' })}.${b64(claims)}.`;
    const valid = signedUrlToken(signer, ADA);
    const [h, , s] = valid.split('.');
    const tampered = `${h}.${b64({ ...claims, sub: '7' })}.${s}`;
    const past = Date.now() - 20 * 60_000;
    const cases: Record<string, string> = {
      'signed with another key': signedUrlToken(other, ADA),
      'HS256 with the public key as secret': hs256,
      'alg none': none,
      expired: signJwt(signer.privateKey, signedUrlClaims(signer, ADA, 'ticket_sidebar', past)),
      tampered: tampered,
      'another installation': signedUrlToken({ ...signer, installationId: '999' }, ADA),
      'another subdomain': signedUrlToken({ ...signer, subdomain: 'evil' }, ADA),
      'no user': signJwt(signer.privateKey, { ...claims, sub: undefined }),
      'not a JWT': 'abc',
    };
    for (const [name, token] of Object.entries(cases)) {
      const page = await openApp(token);
      expect(page.status, name).toBe(401);
      expect(page.type, name).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(page.text).errors[0].path, name).toBe('token');
      expect(page.session, name).toBeNull();
    }
    const missing = await fetch(`${gw.url}/zendesk/app/index.html`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'other=1',
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: { path: string }[] }).errors[0]?.path).toBe('token');
    const asJson = await call(gw.url, 'POST', '/zendesk/app/index.html', {
      body: { token: signedUrlToken(signer, ADA) },
    });
    expect(asJson.status).toBe(400);
    expect(asJson.body.errors[0].path).toBe('token');
    const huge = await fetch(`${gw.url}/zendesk/app/index.html`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${'a'.repeat(20_000)}`,
    });
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await huge.json()) as { detail: string }).detail).toContain('16 kB');
  });
});

describe('Decisions on an account that verifies approvers', () => {
  it('When a decision claims another agent than the verified one, then it is refused with 403 and nothing is decided', async () => {
    const { session } = await openApp(signedUrlToken(signer, ADA));
    const approvalId = await submit(verified);
    const res = await decide(verified, approvalId, GRACE, session);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/claimed identity differs/);
    const sameIdOtherEmail = await decide(verified, approvalId, { ...adaAgent, email: 'grace@example.com' }, session);
    expect(sameIdOtherEmail.status).toBe(403);
    const read = await call(gw.url, 'GET', `/api/approvals/${approvalId}`, { key: verified.agentKey });
    expect(read.body.status).toBe('pending');
  });

  it('When a decision has no session, or a tampered or foreign one, then it is refused with 401 naming the header', async () => {
    const approvalId = await submit(verified);
    const { session } = await openApp(signedUrlToken(signer, ADA));
    const [v, payload, mac] = (session as string).split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${v}.${Buffer.from(JSON.stringify({ ...claims, u: '7' })).toString('base64url')}.${mac}`;
    for (const [name, header] of [
      ['none', null],
      ['garbage', 'v1.abc.def'],
      ['forged user', forged],
    ] as const) {
      const res = await decide(verified, approvalId, adaAgent, header);
      expect(res.status, name).toBe(401);
      expect(res.body.errors[0].path, name).toBe('x-cheqpoint-session');
    }
    const read = await call(gw.url, 'GET', `/api/approvals/${approvalId}`, { key: verified.agentKey });
    expect(read.body.status).toBe('pending');
  });
});

describe('Session lifetime', () => {
  it('When a session is older than 10 hours, or zendesk verify ran again since it was minted, then a decision with it is refused (401)', async () => {
    const clock = movableClock();
    const timed = await startTestGateway({ label: 'verified_clock', clock, config: { CHEQPOINT_APP_DIR: appDir } });
    try {
      const account = await timed.createAccount('timed');
      const keys = createSignedUrls({ subdomain: 'acme', installationId: '360002' });
      const verifications = zendeskVerifications(timed.conn);
      await verifications.configure(account.accountId, { publicKeyPem: keys.publicKeyPem, installationId: '360002' });
      const sessionAt = async () => {
        const res = await fetch(`${timed.url}/zendesk/app/index.html`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          // Zendesk's clock moves with the gateway's here
          body: new URLSearchParams({
            token: signJwt(keys.privateKey, signedUrlClaims(keys, ADA, 'ticket_sidebar', clock.now().getTime())),
          }).toString(),
        });
        const session = /content="(v1\.[^"]+)"/.exec(await res.text())?.[1];
        expect(session).toBeDefined();
        return session as string;
      };
      const decideWith = async (session: string) => {
        const created = await call(timed.url, 'POST', '/api/webhooks/inbound?wait=0', {
          key: account.flowKey,
          body: SAMPLE_1,
        });
        return call(timed.url, 'POST', `/api/agent/approvals/${created.body.approvalId}/decision`, {
          key: account.agentKey,
          body: { decision: 'approve', agent: adaAgent },
          headers: { 'x-cheqpoint-session': session },
        });
      };
      const old = await sessionAt();
      clock.advance(10 * 60 * 60 * 1000 - 60_000);
      expect((await decideWith(old)).status).toBe(200);
      clock.advance(2 * 60_000);
      expect((await decideWith(old)).status).toBe(401);

      const fresh = await sessionAt();
      await verifications.configure(account.accountId, { publicKeyPem: keys.publicKeyPem, installationId: '360002' });
      clock.advance(6_000); // past the gateway's 5 s cache of the account's settings
      const rotated = await decideWith(fresh);
      expect(rotated.status).toBe(401);
      expect(rotated.body.errors[0].path).toBe('x-cheqpoint-session');
      expect((await decideWith(await sessionAt())).status).toBe(200);
    } finally {
      await timed.close();
    }
  });
});

describe('Decisions on an account that does not verify approvers', () => {
  it('When an agent decides, then it works as before and decidedBy and the audit trail say unverified', async () => {
    const approvalId = await submit(plain);
    const res = await decide(plain, approvalId, GRACE);
    expect(res.status).toBe(200);
    expect(res.body.decidedBy).toEqual({ type: 'agent', ...GRACE, verified: false });
    const events = await call(gw.url, 'GET', `/api/approvals/${approvalId}/events`, { key: plain.agentKey });
    const decided = (events.body.events as { type: string; actor: unknown }[]).find((e) => e.type === 'decided');
    expect(decided?.actor).toEqual({ type: 'agent', id: '7', name: GRACE.name, verified: false });
  });

  it("When a session of another account's installation is sent, then it proves nothing here: the decision stays unverified", async () => {
    const { session } = await openApp(signedUrlToken(signer, ADA));
    const approvalId = await submit(plain);
    const res = await decide(plain, approvalId, adaAgent, session);
    expect(res.status).toBe(200);
    expect(res.body.decidedBy.verified).toBe(false);
  });
});

describe('zendesk verify (CLI)', () => {
  function cli(args: string[]) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
        ['server/src/cli/cheqpoint.ts', ...args],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, MONGODB_URI: `${inject('mongodbUri')}${gw.conn.name}` },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('When an operator trusts an installation with its public key file, then show lists it and off removes it; a bad key or a taken installation is refused', async () => {
    const account = await gw.createAccount('cli');
    const keyFile = path.join(appDir, 'app_public_key.pem');
    writeFileSync(keyFile, createSignedUrls().publicKeyPem);
    const on = await cli([
      'zendesk',
      'verify',
      account.accountId,
      '--public-key-file',
      keyFile,
      '--installation-id',
      '42',
      '--json',
    ]);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ installationId: '42', accountId: account.accountId });
    expect(on.stdout).not.toContain('sessionSecret');
    const show = await cli(['zendesk', 'verify', account.accountId, '--show']);
    expect(show.stdout).toContain('installation 42');
    const taken = await cli([
      'zendesk',
      'verify',
      verified.accountId,
      '--public-key-file',
      keyFile,
      '--installation-id',
      '42',
    ]);
    expect(taken.code).toBe(64);
    expect(taken.stderr).toContain('already trusted by another account');
    writeFileSync(keyFile, 'not a key');
    const bad = await cli([
      'zendesk',
      'verify',
      account.accountId,
      '--public-key-file',
      keyFile,
      '--installation-id',
      '43',
    ]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('not a PEM public key');
    const off = await cli(['zendesk', 'verify', account.accountId, '--off']);
    expect(off.code, off.stderr).toBe(0);
    expect(await zendeskVerifications(gw.conn).show(account.accountId)).toEqual([]);
  }, 60_000);
});

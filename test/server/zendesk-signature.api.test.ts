import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { signZendeskWebhook } from '../../server/src/zendesk/verify-signature.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';

const SECRET = 'dGhpcyBpcyBhIHplbmRlc2sgd2ViaG9vayBzZWNyZXQ';
let gw: TestGateway;
let keys: Awaited<ReturnType<TestGateway['createAccount']>>;

beforeAll(async () => {
  gw = await startTestGateway({ label: 'zdsig' });
  keys = await gw.createAccount();
  await accountsService(gw.conn).setZendeskWebhookSecret(keys.accountId, SECRET);
});
afterAll(async () => gw?.close());

function send(body: string, headers: Record<string, string>) {
  return call(gw.url, 'POST', '/api/webhooks/inbound?wait=0', {
    key: keys.flowKey,
    rawBody: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('Zendesk webhook signatures', () => {
  it('When the account requires signatures and the call is signed over timestamp + raw body, then it is accepted', async () => {
    const body = JSON.stringify(uniqueRequest());
    const timestamp = new Date().toISOString();
    const res = await send(body, {
      'x-zendesk-webhook-signature': signZendeskWebhook(SECRET, timestamp, body),
      'x-zendesk-webhook-signature-timestamp': timestamp,
    });
    expect(res.status).toBe(202);
  });

  it('When the signature is missing, wrong, made over another body or stale, then 401 and nothing is stored', async () => {
    const before = await gw.conn.collection('approvals').countDocuments({});
    const body = JSON.stringify(uniqueRequest());
    const now = new Date().toISOString();
    const stale = new Date(Date.now() - 6 * 60 * 1000).toISOString();
    const cases: Record<string, string>[] = [
      {},
      { 'x-zendesk-webhook-signature': 'bm9wZQ==', 'x-zendesk-webhook-signature-timestamp': now },
      {
        'x-zendesk-webhook-signature': signZendeskWebhook(SECRET, now, body.replace('Refund', 'Refunx')),
        'x-zendesk-webhook-signature-timestamp': now,
      },
      {
        'x-zendesk-webhook-signature': signZendeskWebhook(SECRET, stale, body),
        'x-zendesk-webhook-signature-timestamp': stale,
      },
      {
        'x-zendesk-webhook-signature': signZendeskWebhook('another-secret', now, body),
        'x-zendesk-webhook-signature-timestamp': now,
      },
    ];
    for (const headers of cases) {
      const res = await send(body, headers);
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('urn:cheqpoint:problem:unauthorized');
    }
    expect(await gw.conn.collection('approvals').countDocuments({})).toBe(before);
  });

  it('When the requirement is cleared, then unsigned calls are accepted again', async () => {
    await accountsService(gw.conn).setZendeskWebhookSecret(keys.accountId, null);
    expect((await send(JSON.stringify(uniqueRequest()), {})).status).toBe(202);
    await accountsService(gw.conn).setZendeskWebhookSecret(keys.accountId, SECRET);
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSigningSecret } from '../accounts/api-key.js';
import { activeSecrets, signedHeaders } from './callback-signer.js';

const now = new Date();
const body = JSON.stringify({ type: 'approval.decided', approvalId: 'apr_1', details: { 'a.b': '$x', n: 1 } });

describe('The callback signer', () => {
  it('When a body is signed, then the standardwebhooks library verifies it and returns the payload', () => {
    const secret = generateSigningSecret();
    const headers = signedHeaders({ webhookId: 'msg_apr_1', body, secrets: [secret], now });
    expect(headers['webhook-id']).toBe('msg_apr_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('When one byte of the body, timestamp or id changes, then verification fails', () => {
    const secret = generateSigningSecret();
    const headers = signedHeaders({ webhookId: 'msg_apr_1', body, secrets: [secret], now });
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace('"n":1', '"n":2'), headers)).toThrow();
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'msg_apr_2' })).toThrow();
    const ts = Number(headers['webhook-timestamp']);
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(ts + 1) })).toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('When two secrets are active, then two signatures are sent and either secret verifies', () => {
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const headers = signedHeaders({ webhookId: 'msg_apr_1', body, secrets: [oldSecret, newSecret], now });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, headers)).toBeTruthy();
    expect(new Webhook(newSecret).verify(body, headers)).toBeTruthy();
  });

  it('When a secret has expired, then it no longer signs; without any active secret signing refuses', () => {
    const secrets = [
      { secret: 'whsec_old', createdAt: now, expiresAt: new Date(now.getTime() - 1) },
      { secret: 'whsec_grace', createdAt: now, expiresAt: new Date(now.getTime() + 1_000) },
      { secret: 'whsec_new', createdAt: now, expiresAt: null },
    ];
    expect(activeSecrets(secrets, now)).toEqual(['whsec_grace', 'whsec_new']);
    expect(() => signedHeaders({ webhookId: 'msg_x', body, secrets: [], now })).toThrow(/no active signing secret/);
  });
});

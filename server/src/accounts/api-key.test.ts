import { describe, expect, it } from 'vitest';
import { generateApiKey, generateSigningSecret, hashApiKey, parseApiKey } from './api-key.js';

describe('API keys', () => {
  it('When a key is generated, then it carries its scope prefix, 256 random bits and a valid checksum', () => {
    const flow = generateApiKey('flow');
    const agent = generateApiKey('agent');
    expect(flow).toMatch(/^cqp_flow_[0-9A-Za-z]{49}$/);
    expect(agent).toMatch(/^cqp_agent_[0-9A-Za-z]{49}$/);
    expect(parseApiKey(flow)).toEqual({ scope: 'flow' });
    expect(parseApiKey(agent)).toEqual({ scope: 'agent' });
    expect(new Set(Array.from({ length: 200 }, () => generateApiKey('flow'))).size).toBe(200);
  });

  it('When one character changes, or the prefix is swapped, then the key is rejected without a lookup', () => {
    const key = generateApiKey('flow');
    for (let i = 9; i < key.length; i++) {
      const swapped = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      expect(parseApiKey(swapped), swapped).toBeNull();
    }
    expect(parseApiKey(key.replace('cqp_flow_', 'cqp_agent_'))).toBeNull();
    expect(parseApiKey('')).toBeNull();
    expect(parseApiKey(`${key}x`)).toBeNull();
  });

  it('When a key is hashed, then the hash is SHA-256 hex and does not contain the key', () => {
    const key = generateApiKey('agent');
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
  });

  it('When a signing secret is generated, then it is whsec_ and 32 bytes of base64', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('When nothing is set, then the defaults apply', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      CHEQPOINT_CALLBACK_ALLOWLIST: [],
      NODE_ENV: 'development',
    });
    expect(config.MONGODB_URI).toBeUndefined();
  });

  it('When variables are wrong, then one error names each of them', () => {
    expect(() =>
      loadConfig({
        PORT: '99999',
        MONGODB_URI: 'http://x',
        CHEQPOINT_CALLBACK_ALLOWLIST: 'localhost',
        LOG_LEVEL: 'loud',
      }),
    ).toThrow(/PORT[\s\S]*MONGODB_URI[\s\S]*CHEQPOINT_CALLBACK_ALLOWLIST[\s\S]*LOG_LEVEL|PORT/);
    try {
      loadConfig({
        PORT: '99999',
        MONGODB_URI: 'http://x',
        CHEQPOINT_CALLBACK_ALLOWLIST: 'localhost',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      for (const name of ['PORT', 'MONGODB_URI', 'CHEQPOINT_CALLBACK_ALLOWLIST', 'LOG_LEVEL']) {
        expect((err as Error).message).toContain(name);
      }
    }
  });

  it('When the allowlist is set, then it is parsed into host:port pairs; production refuses it', () => {
    expect(
      loadConfig({ CHEQPOINT_CALLBACK_ALLOWLIST: '127.0.0.1:8080, [::1]:9000' }).CHEQPOINT_CALLBACK_ALLOWLIST,
    ).toEqual(['127.0.0.1:8080', '[::1]:9000']);
    expect(() => loadConfig({ NODE_ENV: 'production', CHEQPOINT_CALLBACK_ALLOWLIST: '127.0.0.1:8080' })).toThrow(
      /CHEQPOINT_CALLBACK_ALLOWLIST/,
    );
  });

  it('When limits, timeouts and the proxy are configured, then they are parsed, and inconsistent or unsafe values are refused', () => {
    expect(loadConfig({})).toMatchObject({
      CHEQPOINT_DB_TIMEOUT_MS: 5_000,
      CHEQPOINT_HEADERS_TIMEOUT_MS: 10_000,
      CHEQPOINT_REQUEST_TIMEOUT_MS: 30_000,
      CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      CHEQPOINT_RATE_LIMIT_PER_SECOND: 50,
      CHEQPOINT_RATE_LIMIT_BURST: 100,
      CHEQPOINT_BAD_KEY_LIMIT: 20,
      CHEQPOINT_TRUST_PROXY: false,
    });
    expect(loadConfig({ CHEQPOINT_TRUST_PROXY: '2' }).CHEQPOINT_TRUST_PROXY).toBe(2);
    expect(loadConfig({ CHEQPOINT_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).CHEQPOINT_TRUST_PROXY).toEqual([
      'loopback',
      '10.0.0.0/8',
    ]);
    expect(() => loadConfig({ CHEQPOINT_TRUST_PROXY: 'true' })).toThrow(/CHEQPOINT_TRUST_PROXY/);
    expect(() => loadConfig({ CHEQPOINT_RATE_LIMIT_BURST: '0' })).toThrow(/CHEQPOINT_RATE_LIMIT_BURST/);
    expect(() => loadConfig({ CHEQPOINT_METRICS_TOKEN: 'short' })).toThrow(/CHEQPOINT_METRICS_TOKEN/);
    expect(() => loadConfig({ CHEQPOINT_HEADERS_TIMEOUT_MS: '20000', CHEQPOINT_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      /CHEQPOINT_HEADERS_TIMEOUT_MS/,
    );
  });
});

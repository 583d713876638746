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
});

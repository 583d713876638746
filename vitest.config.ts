import { defineConfig } from 'vitest/config';

/**
 * One `npm test` for the whole repository:
 * - server: unit tests beside the code and API tests through real HTTP on a real FerretDB/MongoDB;
 * - app: Zendesk app component tests (jsdom), defined in zendesk-app/vitest.config.ts;
 * - browser: headless Chromium through the local harness and a real gateway.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          environment: 'node',
          include: ['server/src/**/*.test.ts', 'shared/src/**/*.test.ts', 'test/server/**/*.test.ts'],
          globalSetup: ['test/support/database.global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});

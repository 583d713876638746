import { defineConfig } from 'vitest/config';

/**
 * One `npm test` for the whole repository:
 * - server: unit tests beside the code and API tests through real HTTP on a real FerretDB/MongoDB;
 * - app: Zendesk app component tests (jsdom, fake ZAF client);
 * - browser: the built app (dist/ validation, then headless Chromium through the local harness and a real gateway).
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
      {
        oxc: { jsx: { runtime: 'automatic' } },
        test: {
          name: 'app',
          environment: 'jsdom',
          include: ['test/zendesk-app/**/*.test.{ts,tsx}'],
          setupFiles: ['test/zendesk-app/setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'browser',
          environment: 'node',
          include: ['test/browser/**/*.test.ts'],
          // [1] the database for the real gateway, then one build of the app shared by every browser test file
          globalSetup: ['test/support/database.global-setup.ts', 'test/browser/build.global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});

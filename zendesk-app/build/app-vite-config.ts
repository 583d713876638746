import { readFileSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import type { InlineConfig } from 'vite';
import { alertEntries } from './alert-entries.plugin.js';
import { FIRST_LOAD_CHUNK, firstLoadChunk } from './first-load-chunk.js';
import { zodWithoutJsonSchema } from './zod-without-json-schema.plugin.js';
import { PLACEHOLDER_GATEWAY_HOST, zendeskPackage } from './zendesk-package.plugin.js';

/**
 * Shared modules only lazy chunks use, though the entry reaches them through `@cheqpoint/shared`'s index:
 * the insights contract (only the nav bar's Insights tab parses those replies).
 */
const LAZY_ONLY = [/[\\/]shared[\\/]src[\\/]insights\.schema\.ts$/];

/** The zendesk-app folder. */
export const APP_ROOT = path.resolve(import.meta.dirname, '..');

export interface IAppBuildOptions {
  /** Package folder to write (manifest.json, translations/, assets/); default zendesk-app/dist. */
  distDir?: string;
  /** Host for domainWhitelist; default env CHEQPOINT_GATEWAY_HOST, else a placeholder. */
  gatewayHost?: string;
  /** Signed URLs (locations served by the gateway); default env CHEQPOINT_SIGNED_URLS=1. */
  signedUrls?: boolean;
}

/** The Vite configuration of the Zendesk app, shared by vite.config.ts, the dev harness and the tests. */
export function appViteConfig(options: IAppBuildOptions = {}): InlineConfig {
  const srcDir = path.join(APP_ROOT, 'src');
  const distDir = options.distDir ?? path.join(APP_ROOT, 'dist');
  const gatewayHost = options.gatewayHost ?? process.env['CHEQPOINT_GATEWAY_HOST'] ?? PLACEHOLDER_GATEWAY_HOST;
  const { version } = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    configFile: false,
    root: srcDir,
    base: './',
    logLevel: 'warn',
    plugins: [
      react(),
      zodWithoutJsonSchema(),
      zendeskPackage({
        srcDir,
        gatewayHost,
        version,
        signedUrls: options.signedUrls ?? process.env['CHEQPOINT_SIGNED_URLS'] === '1',
      }),
      // the background and top-bar locations: small entries of their own, never the sidebar's bundle
      alertEntries({ srcDir }),
    ],
    resolve: {
      dedupe: ['react', 'react-dom', 'styled-components'],
      // [3] Garden's theming asks two things of these lodash packages; each ships a copy of lodash's internals
      alias: {
        'lodash.get': path.join(APP_ROOT, 'build/shims/lodash-get.ts'),
        'lodash.memoize': path.join(APP_ROOT, 'build/shims/lodash-memoize.ts'),
      },
    },
    build: {
      outDir: path.join(distDir, 'assets'),
      emptyOutDir: true,
      assetsDir: '.',
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      // every browser Zendesk supports preloads modules itself: no polyfill on the first load
      modulePreload: { polyfill: false },
      chunkSizeWarningLimit: 1024, // [1] the budget is gzip size, measured by npm run bench:app
      rolldownOptions: {
        output: {
          entryFileNames: '[name].js',
          chunkFileNames: '[name].js',
          assetFileNames: '[name][extname]',
          // [2] the first load is index.js alone; lazy chunks (queue, decide steps, German) load by relative
          // URL from the same assets/ folder (base './'), as Zendesk serves the package
          codeSplitting: {
            groups: [
              { name: firstLoadChunk(LAZY_ONLY), debugName: FIRST_LOAD_CHUNK, priority: 2 },
              // Garden's forms, shared by the lazy card parts and the queue: named for what they are
              { name: 'garden-forms', test: /[\\/]@zendeskgarden[\\/](react-forms|container-field)[\\/]/, priority: 1 },
            ],
          },
        },
      },
    },
  };
}

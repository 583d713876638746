import path from 'node:path';
import { build, type Plugin } from 'vite';

/** The alert locations' pages in src/ (manifest.json: `background`, `top_bar`), each its own entry. */
export const ALERT_ENTRIES = ['background', 'top_bar'] as const;

/**
 * Builds the background and top-bar entries after the sidebar's bundle is written, as a build of their own
 * into the same assets/ folder. [1] In the sidebar's build they would share chunks with it (the authority
 * rule, money formatting, strings), so the sidebar would load two files instead of index.js alone, and the
 * alert entries would import pieces of the sidebar's bundle; a build of their own keeps each self-contained,
 * its shared code copied (a few kB). Their chunks are prefixed `alerts-` so no name meets a sidebar chunk's.
 */
export function alertEntries(options: { srcDir: string }): Plugin {
  let assetsDir = '';
  let mode = 'production';
  return {
    name: 'cheqpoint-alert-entries',
    apply: 'build',
    configResolved(config) {
      assetsDir = path.resolve(config.root, config.build.outDir);
      mode = config.mode;
    },
    async writeBundle() {
      await build({
        configFile: false,
        root: options.srcDir,
        base: './',
        mode,
        logLevel: 'warn',
        build: {
          outDir: assetsDir,
          emptyOutDir: false,
          assetsDir: '.',
          target: 'es2022',
          sourcemap: false,
          reportCompressedSize: false,
          modulePreload: { polyfill: false },
          rolldownOptions: {
            input: Object.fromEntries(
              ALERT_ENTRIES.map((entry) => [entry, path.join(options.srcDir, `${entry}.html`)]),
            ),
            output: {
              entryFileNames: '[name].js',
              chunkFileNames: 'alerts-[name].js',
              assetFileNames: 'alerts-[name][extname]',
            },
          },
        },
      });
    },
  };
}

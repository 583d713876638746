import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { appViteConfig } from '../../zendesk-app/build/app-vite-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Zendesk package built for these tests (domainWhitelist 127.0.0.1, where the test gateways listen). */
    appDistDir: string;
  }
}

/** Builds the app once (a few seconds) into a temp folder; removed after the run. */
export default async function setup(project: TestProject) {
  const distDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-app-dist-'));
  const started = Date.now();
  await build(appViteConfig({ distDir, gatewayHost: '127.0.0.1' }));
  process.stdout.write(`[browser] built the Zendesk app in ${Date.now() - started} ms\n`);
  project.provide('appDistDir', distDir);
  return () => rmSync(distDir, { recursive: true, force: true });
}

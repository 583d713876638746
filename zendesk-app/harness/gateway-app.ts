import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleZafSdk } from './harness.server.js';

const CDN_SDK =
  /<script src="https:\/\/static\.zdassets\.com\/zendesk_app_framework_sdk\/2\.0\/zaf_sdk\.min\.js"><\/script>/;

/**
 * The built app as the gateway serves it for signed URLs (CHEQPOINT_APP_DIR), for the harness: the
 * package's assets with the ZAF SDK from npm beside them instead of Zendesk's CDN (the harness runs
 * offline). In Zendesk, point CHEQPOINT_APP_DIR at zendesk-app/dist/assets as built.
 */
export function writeGatewayAppDir(distDir: string, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  cpSync(path.join(distDir, 'assets'), outDir, { recursive: true });
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
  if (!CDN_SDK.test(html)) throw new Error('The built index.html has no ZAF SDK script to replace');
  writeFileSync(path.join(outDir, 'index.html'), html.replace(CDN_SDK, '<script src="zaf_sdk.js"></script>'));
  writeFileSync(path.join(outDir, 'zaf_sdk.js'), bundleZafSdk());
  return outDir;
}

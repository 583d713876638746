/**
 * `npm run package:app`: builds the app for CHEQPOINT_GATEWAY_HOST and writes the upload zip
 * (zendesk-app/tmp/cheqpoint-<version>.zip) offline, without zcli or a Zendesk account.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'vite';
import { APP_ROOT, appViteConfig } from './app-vite-config.js';
import { createZip } from './zip.js';
import { GATEWAY_HOST_PATTERN, PLACEHOLDER_GATEWAY_HOST } from './zendesk-package.plugin.js';

/** File types Zendesk refuses in an app package. */
export const BLOCKED_EXTENSIONS = [
  '.zip',
  '.pdf',
  '.doc',
  '.docx',
  '.sh',
  '.jar',
  '.mp3',
  '.xls',
  '.ppt',
  '.7z',
  '.rar',
  '.gz',
  '.bin',
  '.exe',
] as const;

/** `.zcliignore` patterns: exact paths, `dir/**` and `*` wildcards within one path segment. */
export function readIgnorePatterns(dir: string): RegExp[] {
  let text = '';
  try {
    text = readFileSync(path.join(dir, '.zcliignore'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((glob) => {
      const parts = glob.split('**').map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'));
      return new RegExp(`^${parts.join('.*')}$`);
    });
}

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory()
      ? filesUnder(full, base)
      : [path.relative(base, full).split(path.sep).join('/')];
  });
}

/** The zip of a built package: every file except tmp/, .zcliignore patterns and the ignore file itself. */
export function packageDist(distDir: string, zipFile: string): string[] {
  const ignore = [/^tmp\//, /^\.zcliignore$/, ...readIgnorePatterns(distDir)];
  const names = filesUnder(distDir).filter((name) => !ignore.some((pattern) => pattern.test(name)));
  const blocked = names.filter((name) =>
    (BLOCKED_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase()),
  );
  if (blocked.length > 0) throw new Error(`Zendesk refuses these file types: ${blocked.join(', ')}`);
  const zip = createZip(names.map((name) => ({ name, data: readFileSync(path.join(distDir, name)) })));
  mkdirSync(path.dirname(zipFile), { recursive: true });
  writeFileSync(zipFile, zip);
  return names;
}

async function main() {
  const gatewayHost = process.env['CHEQPOINT_GATEWAY_HOST'];
  if (!gatewayHost || gatewayHost === PLACEHOLDER_GATEWAY_HOST || !GATEWAY_HOST_PATTERN.test(gatewayHost)) {
    process.stderr.write(
      'Set CHEQPOINT_GATEWAY_HOST to the host of your gateway (e.g. CHEQPOINT_GATEWAY_HOST=cheqpoint.example.com\n' +
        'npm run package:app). It becomes the manifest domainWhitelist: the only host Zendesk may send the agent key to.\n',
    );
    process.exit(64);
  }
  const distDir = path.join(APP_ROOT, 'dist');
  await build(appViteConfig({ distDir, gatewayHost }));
  const { version } = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  const zipFile = path.join(APP_ROOT, 'tmp', `cheqpoint-${version}.zip`);
  const names = packageDist(distDir, zipFile);
  process.stdout.write(
    `Wrote ${path.relative(process.cwd(), zipFile)} (${names.length} files, whitelist ${gatewayHost})\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`package failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

// Compiles the gateway and its CLI (TypeScript) into plain JavaScript under server/dist/, so that
// `npm start` runs them with node alone: no TypeScript compiler in the running process (tsx costs about
// 30 MB resident and a slower start). Runs after `npm install` and again from `npm start` when a source
// file changed since. Dependencies stay in node_modules; the workspace's own packages are bundled.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'server', 'dist');
const ENTRIES = {
  main: 'server/src/main.ts',
  cheqpoint: 'server/src/cli/cheqpoint.ts',
  // The embedded FerretDB's watchdog, a process of its own (see server/src/db/ferretdb-watchdog.ts).
  'ferretdb-watchdog': 'server/src/db/ferretdb-watchdog.main.ts',
};
const SOURCES = ['server/src', 'shared/src', 'tools/ferretdb'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** True when server/dist is missing or older than a source file. */
export function isStale() {
  let built;
  try {
    built = Math.min(...Object.keys(ENTRIES).map((name) => statSync(path.join(OUT, `${name}.js`)).mtimeMs));
  } catch {
    return true;
  }
  return SOURCES.some((dir) => newestMtime(path.join(ROOT, dir)) > built);
}

export async function buildServer() {
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)])),
    outdir: OUT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    // npm packages load from node_modules at run time; only this repository's code is bundled.
    packages: 'external',
    alias: { '@cheqpoint/shared': path.join(ROOT, 'shared', 'src', 'index.ts') },
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildServer();
  console.log(`Built the gateway into ${path.relative(ROOT, OUT)}/`);
}

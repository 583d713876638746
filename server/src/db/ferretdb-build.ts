import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FERRETDB_PATCHES, PATCH_LEVEL, type SourcePatch } from '../../../tools/ferretdb/patches.js';
import { REPO_ROOT } from '../paths.js';
import { EmbeddedDatabaseError } from './ferretdb-errors.js';
import { acquireLock, isProcessAlive } from './ferretdb-processes.js';

/** FerretDB release the embedded database is built from (the version tools/ferretdb/go.mod requires). */
export const FERRETDB_UPSTREAM_VERSION = 'v1.24.2';
/** The build: the release plus Cheqpoint's source edits (tools/ferretdb/patches.ts); names the binary. */
export const FERRETDB_VERSION = `${FERRETDB_UPSTREAM_VERSION}-cheqpoint.${PATCH_LEVEL}`;
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
/** main.go, go.mod and go.sum of the wrapper binary, and the patches. */
const SOURCE_DIR = path.join(REPO_ROOT, 'tools', 'ferretdb');

const run = promisify(execFile);

/** Path of the FerretDB binary of this build, building it with Go the first time. */
export async function ensureFerretdbBinary(
  toolsDir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  toolsDir = path.resolve(toolsDir);
  const bin = path.join(toolsDir, `ferretdb-${FERRETDB_VERSION}`);
  if (existsSync(bin)) return bin;
  try {
    await run('go', ['version'], { timeout: 10_000 });
  } catch {
    throw new EmbeddedDatabaseError(
      [
        `The embedded database (FerretDB ${FERRETDB_VERSION}) is not built yet, and Go is not installed to build it.`,
        'Two ways out:',
        '  1. Point the gateway at your own MongoDB 6+: MONGODB_URI=mongodb://host:27017/cheqpoint npm start',
        '  2. Install Go (https://go.dev/dl/, 1.24 or newer) and run npm start again; the first start builds FerretDB once.',
      ].join('\n'),
    );
  }
  mkdirSync(toolsDir, { recursive: true });
  // One build at a time per tools folder (two test setups, two first starts): the others wait for it.
  const release = await acquireLock(`${bin}.lock`, {
    timeoutMs: 30 * 60_000,
    staleAfterMs: 30 * 60_000,
    onWait: (holder) => log(`Waiting for process ${holder.pid}, which is building FerretDB ${FERRETDB_VERSION}…`),
    timeoutMessage: `Timed out waiting for another process to build FerretDB into ${toolsDir}`,
  });
  try {
    if (existsSync(bin)) return bin;
    removeLeftovers(toolsDir);
    log(`Building FerretDB ${FERRETDB_VERSION} into ${toolsDir} (first run only, a minute or a few)…`);
    const started = Date.now();
    await buildFerretdb(toolsDir, bin);
    log(`FerretDB built in ${Math.round((Date.now() - started) / 1000)} s.`);
    return bin;
  } finally {
    release();
  }
}

/**
 * Builds the binary into `bin`: copies the FerretDB module out of Go's module cache, applies the
 * patches, builds the wrapper (tools/ferretdb/main.go) against the patched copy through a `replace`
 * directive, and renames the result into place. Everything happens in a folder of this process's own,
 * so concurrent builds cannot see each other's half-written files.
 */
async function buildFerretdb(toolsDir: string, bin: string): Promise<void> {
  const work = path.join(toolsDir, `.ferretdb-build-${process.pid}-${randomBytes(4).toString('hex')}`);
  const srcDir = path.join(work, 'ferretdb');
  const mainDir = path.join(work, 'main');
  const tmpBin = `${bin}.${process.pid}.tmp`;
  // No go.work from a parent folder, no VCS stamping (the work folder may sit inside any repository).
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', CGO_ENABLED: '0' };
  const go = async (args: string[], cwd: string, what: string, timeoutMs: number) => {
    try {
      return (await run('go', args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })).stdout;
    } catch (err) {
      const detail = (err as { stderr?: string }).stderr || String(err);
      throw new EmbeddedDatabaseError(
        `Building FerretDB failed (${what}):\n${detail.slice(-4000)}\nSet MONGODB_URI to use your own MongoDB instead.`,
      );
    }
  };
  try {
    mkdirSync(mainDir, { recursive: true });
    for (const file of ['main.go', 'go.mod', 'go.sum'])
      copyFileSync(path.join(SOURCE_DIR, file), path.join(mainDir, file));
    const goMod = readFileSync(path.join(mainDir, 'go.mod'), 'utf8');
    if (
      !new RegExp(`^require ${FERRETDB_MODULE.replace(/\./g, '\\.')} ${FERRETDB_UPSTREAM_VERSION}$`, 'm').test(goMod)
    ) {
      throw new EmbeddedDatabaseError(
        `tools/ferretdb/go.mod does not require ${FERRETDB_MODULE} ${FERRETDB_UPSTREAM_VERSION}, the release ` +
          'server/src/db/ferretdb-build.ts and tools/ferretdb/patches.ts are written for.',
      );
    }

    const downloaded = JSON.parse(
      await go(
        ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_UPSTREAM_VERSION}`],
        mainDir,
        'downloading the FerretDB module',
        15 * 60_000,
      ),
    ) as { Dir?: string; Error?: string };
    if (!downloaded.Dir || downloaded.Error) {
      throw new EmbeddedDatabaseError(
        `Building FerretDB failed: go mod download found no source of ${FERRETDB_MODULE}@${FERRETDB_UPSTREAM_VERSION}` +
          `${downloaded.Error ? `: ${downloaded.Error}` : ''}\nSet MONGODB_URI to use your own MongoDB instead.`,
      );
    }
    // The module cache is read-only: copy it out and make the copy writable (and removable).
    cpSync(downloaded.Dir, srcDir, { recursive: true });
    makeWritable(srcDir);
    applyPatches(srcDir, FERRETDB_PATCHES);

    await go(['mod', 'edit', `-replace=${FERRETDB_MODULE}=${srcDir}`], mainDir, 'go mod edit', 60_000);
    await go(['build', '-trimpath', '-buildvcs=false', '-o', tmpBin, '.'], mainDir, 'go build', 30 * 60_000);
    renameSync(tmpBin, bin);
  } finally {
    rmSync(tmpBin, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Applies the edits to the module copy in `dir`; throws naming the edit if its old text is not there exactly once. */
export function applyPatches(dir: string, patches: readonly SourcePatch[]): void {
  for (const [i, patch] of patches.entries()) {
    const file = path.join(dir, patch.file);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : null;
    const count = text === null ? 0 : text.split(patch.old).length - 1;
    if (text === null || count !== 1) {
      throw new EmbeddedDatabaseError(
        [
          `Building FerretDB failed: patch ${i + 1} of tools/ferretdb/patches.ts does not apply to ${patch.file}:`,
          text === null ? '  the file does not exist' : `  its old text occurs ${count} times, not exactly once`,
          `  (${patch.why.slice(0, 200)})`,
          'The FerretDB source changed: redo the edit for this version.',
        ].join('\n'),
      );
    }
    writeFileSync(
      file,
      text.replace(patch.old, () => patch.new),
    );
  }
}

/** Work folders and half-built binaries of builds whose process died (killed mid-build). */
function removeLeftovers(toolsDir: string): void {
  for (const name of readdirSync(toolsDir)) {
    const pid = /^\.ferretdb-build-(\d+)-|^ferretdb-.*\.(\d+)\.tmp$/.exec(name)?.slice(1).find(Boolean);
    if (pid && !isProcessAlive({ pid: Number(pid) })) {
      const full = path.join(toolsDir, name);
      if (statSync(full).isDirectory()) makeWritable(full);
      rmSync(full, { recursive: true, force: true });
    }
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(full);
    else if (entry.isFile()) chmodSync(full, 0o644);
  }
}

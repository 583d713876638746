import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../../server/src/config.js';
import { ensureFerretdbBinary, freePort, startFerretdb } from '../../server/src/db/embedded-ferretdb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the database the tests use (a throw-away FerretDB unless MONGODB_URI is set). */
    mongodbUri: string;
  }
}

/** Starts a throw-away FerretDB (SQLite, temp folder, free port) unless MONGODB_URI names a database. */
export default async function setup(project: TestProject) {
  const given = process.env['MONGODB_URI'];
  if (given) {
    project.provide('mongodbUri', given);
    return;
  }
  const bin = await ensureFerretdbBinary(path.join(REPO_ROOT, '.tools'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-test-db-'));
  const handler = process.env['CHEQPOINT_TEST_FERRETDB_HANDLER'] === 'postgresql' ? 'postgresql' : 'sqlite';
  const db = await startFerretdb({
    bin,
    port: await freePort(),
    dataDir,
    handler,
    ...(handler === 'postgresql'
      ? { postgresqlUrl: process.env['CHEQPOINT_TEST_POSTGRESQL_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' }
      : {}),
  });
  project.provide('mongodbUri', db.uri);
  return async () => {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

import path from 'node:path';

/**
 * Root of the repository: two levels above this file, which holds both for the sources
 * (server/src/paths.ts) and for the compiled gateway (server/dist/main.js, into which it is bundled).
 */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

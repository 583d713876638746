import { spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { REPO_ROOT } from '../../server/src/config.js';

export type CliResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs the admin CLI as `npm run -s cheqpoint -- …` does (tsx on server/src/cli/cheqpoint.ts from the
 * repository root), on the test database `dbName`, with `env` added and `stdin` written then closed (the
 * commands that read a secret read it to its end). Resolves with the exit code and both outputs.
 */
export function runCli(
  dbName: string,
  args: string[],
  { env = {}, stdin = '' }: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  return new Promise<CliResult>((resolve) => {
    const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['server/src/cli/cheqpoint.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MONGODB_URI: `${inject('mongodbUri')}${dbName}`, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

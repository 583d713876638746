import { readFile, stat } from 'node:fs/promises';
import { ActionsFileSchema, secretNamesOf, type ActionsFile } from '@cheqpoint/shared';
import { checkUrlShape, CallbackUrlError } from '../callbacks/callback-url.js';
import { hostOf } from './render.js';

/** Largest actions file read. */
const MAX_ACTIONS_FILE_BYTES = 1024 * 1024;

/** A field path as the errors print it: `actions[0].execute.url`. */
const pathText = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');

/**
 * Reads and validates an actions file: its shape (each error names the field), the scheme and host of
 * each URL against the callbacks' address rules (`allowlist`: CHEQPOINT_CALLBACK_ALLOWLIST), and that
 * every secret it names is stored for the account (`hasSecret`). Throws an Error listing every problem.
 */
export async function readActionsFile(
  file: string,
  options: { allowlist: readonly string[]; storedSecrets: ReadonlySet<string> },
): Promise<ActionsFile> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new Error(`Actions file ${file} not found`);
  if (info.size > MAX_ACTIONS_FILE_BYTES) throw new Error(`Actions file ${file} is larger than 1 MB`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`Actions file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ActionsFileSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${pathText(i.path) || '(file)'}: ${i.message}`);
    throw new Error(`Actions file ${file} is invalid:\n${lines.join('\n')}`);
  }
  const problems: string[] = [];
  parsed.data.actions.forEach((config, index) => {
    if (config.execute) {
      try {
        checkUrlShape(new URL(`${/^(https?:\/\/[^/?#{}]+)/i.exec(config.execute.url)?.[1] ?? ''}/`), options.allowlist);
      } catch (err) {
        const reason = err instanceof CallbackUrlError ? err.message : 'is not an absolute URL';
        problems.push(`  actions[${index}].execute.url: ${hostOf(config.execute)} ${reason}`);
      }
    }
    for (const name of secretNamesOf(config)) {
      if (!options.storedSecrets.has(name)) {
        problems.push(
          `  actions[${index}] "${config.action}": secret "${name}" is not stored for this account (secret set <accountId> ${name})`,
        );
      }
    }
  });
  if (problems.length > 0) throw new Error(`Actions file ${file} is invalid:\n${problems.join('\n')}`);
  return parsed.data;
}

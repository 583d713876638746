import path from 'node:path';
import { z } from 'zod';

/** Root of the repository (two levels above this file). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

const port = z.coerce.number().int().min(0).max(65535);

/** Every environment variable the gateway reads, with its default. */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('Runtime mode'),
  PORT: port.default(3000).describe('HTTP port the gateway listens on'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface to bind; 0.0.0.0 to accept remote traffic'),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional()
    .describe('MongoDB 6+ connection string; unset = embedded FerretDB'),
  CHEQPOINT_DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, 'data')).describe('Embedded database files'),
  CHEQPOINT_TOOLS_DIR: z.string().min(1).default(path.join(REPO_ROOT, '.tools')).describe('Where FerretDB is built'),
  CHEQPOINT_EMBEDDED_DB_PORT: port.default(27117).describe('Port of the embedded FerretDB (127.0.0.1 only)'),
  CHEQPOINT_CALLBACK_ALLOWLIST: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const entries = s
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      for (const entry of entries) {
        if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(entry)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not a host:port pair` });
        }
      }
      return entries.map((e) => e.toLowerCase());
    })
    .describe('Comma-separated host:port pairs that callbacks may reach even if private (dev and tests)'),
  CHEQPOINT_MAX_WAITERS: z.coerce.number().int().min(1).default(5000).describe('Most calls held open at once'),
  CHEQPOINT_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000).describe('Longest graceful stop'),
  CHEQPOINT_WATCH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(500)
    .describe('How often one shared query looks for decisions made by other processes'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Log verbosity'),
});
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment once; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = result.data;
  if (config.NODE_ENV === 'production') {
    const privateEntries = config.CHEQPOINT_CALLBACK_ALLOWLIST;
    if (privateEntries.length > 0) {
      throw new ConfigError(
        'Invalid configuration:\n  CHEQPOINT_CALLBACK_ALLOWLIST: must be empty when NODE_ENV=production (it lets callbacks reach private addresses)',
      );
    }
  }
  return Object.freeze(config);
}

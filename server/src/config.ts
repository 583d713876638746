import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from './paths.js';
import { EXECUTION_CRASH_POINTS } from './actions/execution-dispatcher.js';
import { CRASH_POINTS } from './callbacks/dispatcher.js';
import { parseSchedule } from './callbacks/retry-schedule.js';

export { REPO_ROOT };

const port = z.coerce.number().int().min(0).max(65535);

/** A retry schedule such as `5s,1m,5m` (units ms, s, m, h), parsed into delays; a bad one names its entry. */
const scheduleSetting = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      try {
        return parseSchedule(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

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
    .default(250)
    .describe('How often one shared query looks for decisions made by other processes'),
  CHEQPOINT_EXPIRY_SWEEP_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(15_000)
    .describe(
      'How often due escalations apply and pending approvals past their expiry are rejected (decidedBy expiry)',
    ),
  CHEQPOINT_DISPATCH_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(20)
    .default(1_000)
    .describe('How often the callback dispatcher looks for due deliveries (a decision also wakes it at once)'),
  CHEQPOINT_CALLBACK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(15_000)
    .describe('Longest time one callback attempt may take'),
  CHEQPOINT_CALLBACK_LEASE_MS: z.coerce
    .number()
    .int()
    .min(500)
    .default(60_000)
    .describe('How long a dispatcher holds a claimed delivery before another process may retry it'),
  CHEQPOINT_CALLBACK_RETRY_SCHEDULE: scheduleSetting('5s,1m,5m,30m,1h,2h,4h,8h,8h').describe(
    'Delays before callback attempts 2, 3, … (each ±20 % jitter); after the last one fails: dead',
  ),
  CHEQPOINT_ZENDESK_RETRY_SCHEDULE: scheduleSetting('5s,30s,2m,10m,30m,1h,2h').describe(
    'Delays before attempts 2, 3, … of a Zendesk tag, notification or note (on 429, 5xx or a network error); then given up',
  ),
  CHEQPOINT_SLACK_RETRY_SCHEDULE: scheduleSetting('5s,30s,2m,10m,30m,1h,2h').describe(
    'Delays before attempts 2, 3, … of a Slack post, update or thread reply (on 5xx, a network error or a transient Slack error; a 429 waits its Retry-After); then given up',
  ),
  CHEQPOINT_SLACK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(30_000)
    .default(10_000)
    .describe('Longest time one Slack Web API call may take (posts, updates, users.info, views.open)'),
  CHEQPOINT_TEST_CRASH_AT: z
    .enum([...CRASH_POINTS, ...EXECUTION_CRASH_POINTS])
    .optional()
    .describe(
      'Tests only (ignored unless NODE_ENV=test): the gateway SIGKILLs itself at this point of a callback or an execution',
    ),
  CHEQPOINT_SECRETS_KEY: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || Buffer.from(value, 'base64').length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be 32 bytes in base64 (make one with: openssl rand -base64 32)',
        });
      }
    })
    .describe(
      'Key that encrypts the secrets actions use (secret set): 32 bytes in base64, e.g. from openssl rand -base64 32; the gateway refuses to start when secrets are stored and it is unset or another key',
    ),
  CHEQPOINT_EXECUTION_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2_000)
    .describe(
      'How long a when: late execution waits after the decision, so a held ?wait= call or poll about to answer with it wins (the AI agent then acts itself)',
    ),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info').describe('Log verbosity'),
  CHEQPOINT_DB_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(5_000)
    .describe(
      'How soon a database that stopped answering is noticed: requests then answer 503 with Retry-After instead of hanging (heartbeat every 500 ms; connect and server selection get half of the rest each)',
    ),
  CHEQPOINT_HEADERS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('A client that has not sent its request headers within this time gets 408 and is disconnected'),
  CHEQPOINT_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(30_000)
    .describe(
      'A client that has not sent its whole request (headers and body) within this time gets 408 and is disconnected; held waits are not affected',
    ),
  CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5_000)
    .describe(
      'How long an idle keep-alive connection stays open; behind a load balancer, longer than its idle timeout',
    ),
  CHEQPOINT_RATE_LIMIT_PER_SECOND: z.coerce
    .number()
    .min(0)
    .default(50)
    .describe('Requests per second each API key may make on average (token bucket); 0 turns the per-key limit off'),
  CHEQPOINT_RATE_LIMIT_BURST: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe('Requests an API key may make at once before the per-second rate applies'),
  CHEQPOINT_BAD_KEY_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .default(20)
    .describe('Invalid API keys one client address may present per minute before it gets 429; 0 turns the guard off'),
  CHEQPOINT_APP_PAGE_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .default(600)
    .describe(
      'App page loads (POST /zendesk/app/index.html) one client address may make per minute, all at once at most; 0 turns the limit off',
    ),
  CHEQPOINT_BAD_APP_TOKEN_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .default(20)
    .describe(
      'Invalid signed-URL tokens one client address may post to the app page per minute before its page loads get 429; 0 turns the guard off',
    ),
  CHEQPOINT_TRUST_PROXY: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return false;
      if (/^\d+$/.test(s)) return Number(s);
      const entries = s
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      if (entries.length === 0 || entries.some((e) => !/^[\w.:/-]+$/.test(e) || e === 'true')) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a number of proxy hops or a comma-separated list of addresses, CIDR ranges or loopback',
        });
        return z.NEVER;
      }
      return entries;
    })
    .describe(
      'Proxies in front of the gateway whose X-Forwarded-For is believed (hop count, or addresses/CIDR ranges/loopback); the client address keys the bad-key guard',
    ),
  CHEQPOINT_METRICS_TOKEN: z
    .string()
    .min(16)
    .optional()
    .describe('When set, GET /metrics needs Authorization: Bearer <token>; unset, /metrics is open'),
  CHEQPOINT_APP_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Built app assets (zendesk-app/dist/assets) served at /zendesk/app/ for signed URLs; unset, the gateway serves no app page',
    ),
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
  if (config.CHEQPOINT_CALLBACK_LEASE_MS <= config.CHEQPOINT_CALLBACK_TIMEOUT_MS) {
    throw new ConfigError(
      'Invalid configuration:\n  CHEQPOINT_CALLBACK_LEASE_MS: must be longer than CHEQPOINT_CALLBACK_TIMEOUT_MS',
    );
  }
  if (config.CHEQPOINT_HEADERS_TIMEOUT_MS > config.CHEQPOINT_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      'Invalid configuration:\n  CHEQPOINT_HEADERS_TIMEOUT_MS: must not be longer than CHEQPOINT_REQUEST_TIMEOUT_MS',
    );
  }
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

import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { inject } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import type { Resolver } from '../../server/src/callbacks/callback-url.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../server/src/gateway.js';
import { ConfigSchema } from '../../server/src/config.js';
import type { Clock } from '../../server/src/lib/clock.js';
import { silentLogger, type Logger } from '../../server/src/lib/logger.js';

/** A fresh database name, so test files never see each other's data. */
export const uniqueDbName = (label = 'test') =>
  `cqp_${label.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`;

/** Connects to a fresh database on the test server (FerretDB, or MONGODB_URI). */
export async function connectTestDatabase(label?: string): Promise<Connection> {
  const uri = inject('mongodbUri');
  return connectDatabase(uri, uniqueDbName(label));
}

export type TestGateway = Gateway & {
  conn: Connection;
  createAccount: (name?: string) => Promise<CreatedAccount>;
  close: () => Promise<void>;
};

/** A real gateway on 127.0.0.1:<free port> over a fresh database. */
export async function startTestGateway(
  options: {
    label?: string;
    conn?: Connection;
    clock?: Clock;
    resolver?: Resolver;
    allowlist?: string[];
    decideDelayMs?: number;
    maxWaiters?: number;
    logger?: Logger;
    /** Extra settings, e.g. a fast callback dispatcher and a short retry schedule. */
    config?: Partial<GatewayOptions['config']>;
    /** Randomness of the callback retry jitter. */
    random?: () => number;
  } = {},
): Promise<TestGateway> {
  const conn = options.conn ?? (await connectTestDatabase(options.label));
  const gateway = await startGateway({
    config: {
      ...ConfigSchema.parse({ NODE_ENV: 'test' }),
      PORT: 0,
      HOST: '127.0.0.1',
      CHEQPOINT_CALLBACK_ALLOWLIST: options.allowlist ?? [],
      CHEQPOINT_MAX_WAITERS: options.maxWaiters ?? 5000,
      CHEQPOINT_WATCH_INTERVAL_MS: 500,
      CHEQPOINT_SHUTDOWN_GRACE_MS: 5_000,
      // Tests drive one key far past a production rate (fuzzing, races); limit tests turn it on.
      CHEQPOINT_RATE_LIMIT_PER_SECOND: 0,
      ...options.config,
    },
    conn,
    logger: options.logger ?? silentLogger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.resolver ? { resolver: options.resolver } : {}),
    ...(options.decideDelayMs ? { decideDelayMs: options.decideDelayMs } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
  return {
    ...gateway,
    conn,
    createAccount: (name = 'acme') => accountsService(conn).createAccount(name),
    close: async () => {
      await gateway.stop();
      await conn.dropDatabase().catch(() => {});
      await conn.close();
    },
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import { accountsService } from './accounts/accounts.service.js';
import { approvalsRepository } from './approvals/approvals.repository.js';
import { approvalsService } from './approvals/approvals.service.js';
import { DecisionWaiter } from './approvals/decision-waiter.js';
import { startMaintenance, type MaintenanceResult } from './approvals/maintenance.js';
import { createApp } from './app.js';
import { systemResolver, type Resolver } from './callbacks/callback-url.js';
import type { Config } from './config.js';
import { ensureIndexes } from './db/indexes.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';

export type GatewayOptions = {
  config: Pick<
    Config,
    | 'PORT'
    | 'HOST'
    | 'CHEQPOINT_CALLBACK_ALLOWLIST'
    | 'CHEQPOINT_MAX_WAITERS'
    | 'CHEQPOINT_WATCH_INTERVAL_MS'
    | 'CHEQPOINT_SHUTDOWN_GRACE_MS'
  >;
  conn: Connection;
  logger: Logger;
  clock?: Clock;
  resolver?: Resolver;
  /** Test-only hook, see ApprovalsDeps.decideDelayMs. */
  decideDelayMs?: number;
};

export type Gateway = {
  url: string;
  server: http.Server;
  waiter: DecisionWaiter;
  /** Runs the housekeeping sweeps now (they also run every few minutes). */
  sweepNow: () => Promise<MaintenanceResult>;
  /** Graceful stop: refuse new work, answer held waits with the current state, drain, close. */
  stop: () => Promise<void>;
};

/** Wires the services, ensures indexes and starts listening. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, conn, logger } = options;
  const clock = options.clock ?? systemClock;
  await ensureIndexes(conn);

  const repository = approvalsRepository(conn);
  const accounts = accountsService(conn, clock);
  const waiter = new DecisionWaiter({
    maxWaiters: config.CHEQPOINT_MAX_WAITERS,
    intervalMs: config.CHEQPOINT_WATCH_INTERVAL_MS,
    findDecided: (ids) => repository.decidedAmong(ids),
    logger,
  });
  const approvals = approvalsService({
    repository,
    accounts,
    waiter,
    clock,
    callbackPolicy: { allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST, resolver: options.resolver ?? systemResolver },
    ...(options.decideDelayMs ? { decideDelayMs: options.decideDelayMs } : {}),
  });

  const maintenance = startMaintenance({ repository, clock, logger, intervalMs: 5 * 60_000 });

  let isShuttingDown = false;
  const app = createApp({ conn, accounts, approvals, logger, isShuttingDown: () => isShuttingDown });
  const server = http.createServer(app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      isShuttingDown = true;
      maintenance.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      waiter.closeAll();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.CHEQPOINT_SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(timer);
    })();
    return stopping;
  };

  return { url: `http://${host}:${address.port}`, server, waiter, sweepNow: maintenance.runOnce, stop };
}

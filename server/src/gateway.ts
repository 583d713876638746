import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import { accountsService } from './accounts/accounts.service.js';
import { approvalsRepository } from './approvals/approvals.repository.js';
import { approvalsService, type RecordEvent } from './approvals/approvals.service.js';
import { appendEvent } from './audit/audit.service.js';
import { auditDeliveryEvent } from './audit/delivery-events.js';
import { policiesRepository } from './policies/policies.repository.js';
import { DecisionWaiter } from './approvals/decision-waiter.js';
import { startMaintenance, type MaintenanceResult } from './approvals/maintenance.js';
import { createApp } from './app.js';
import { systemResolver, type Resolver } from './callbacks/callback-url.js';
import { callbacksService } from './callbacks/callbacks.service.js';
import { deliveriesRepository } from './callbacks/deliveries.repository.js';
import { CallbackDispatcher, type DeliveryEvent } from './callbacks/dispatcher.js';
import { DEFAULT_RETRY_SCHEDULE_MS } from './callbacks/retry-schedule.js';
import { CALLBACK_TIMEOUT_MS, createCallbackClient } from './callbacks/safe-client.js';
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
  > &
    Partial<
      Pick<
        Config,
        | 'NODE_ENV'
        | 'CHEQPOINT_DISPATCH_INTERVAL_MS'
        | 'CHEQPOINT_CALLBACK_TIMEOUT_MS'
        | 'CHEQPOINT_CALLBACK_LEASE_MS'
        | 'CHEQPOINT_CALLBACK_RETRY_SCHEDULE'
        | 'CHEQPOINT_TEST_CRASH_AT'
        | 'CHEQPOINT_EXPIRY_SWEEP_MS'
      >
    >;
  conn: Connection;
  logger: Logger;
  clock?: Clock;
  resolver?: Resolver;
  /** Test-only hook, see ApprovalsDeps.decideDelayMs. */
  decideDelayMs?: number;
  /** Randomness of the retry jitter (tests pin it). */
  random?: () => number;
  /** Called after each callback attempt is recorded. */
  onCallbackEvent?: (event: DeliveryEvent) => void | Promise<void>;
};

export type Gateway = {
  url: string;
  server: http.Server;
  waiter: DecisionWaiter;
  /** Sends callbacks; `nudge()` it after a decision so the first attempt goes out at once. */
  dispatcher: CallbackDispatcher;
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
  /** Audit writes never fail the request that caused them: a committed decision stays committed. */
  const recordEvent: RecordEvent = async (approval, type, actor, data, at) => {
    try {
      await appendEvent(conn, approval.accountId, approval._id, type, actor, data, at);
    } catch (err) {
      logger.error('audit append failed', { approvalId: approval._id, type, error: String((err as Error).message) });
    }
  };

  const onCallbackEvent = async (event: DeliveryEvent) => {
    try {
      await auditDeliveryEvent(conn, event);
    } catch (err) {
      logger.error('audit append failed', {
        approvalId: event.approvalId,
        type: event.type,
        error: String((err as Error).message),
      });
    }
    await options.onCallbackEvent?.(event);
  };
  const accounts = accountsService(conn, clock);
  const waiter = new DecisionWaiter({
    maxWaiters: config.CHEQPOINT_MAX_WAITERS,
    intervalMs: config.CHEQPOINT_WATCH_INTERVAL_MS,
    findDecided: (ids) => repository.decidedAmong(ids),
    logger,
  });
  const resolver = options.resolver ?? systemResolver;
  const callbackTimeoutMs = config.CHEQPOINT_CALLBACK_TIMEOUT_MS ?? CALLBACK_TIMEOUT_MS;
  const callbackClient = createCallbackClient({
    resolver,
    allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST,
    timeoutMs: callbackTimeoutMs,
  });
  const deliveries = deliveriesRepository(conn);
  const dispatcher = new CallbackDispatcher({
    repository: deliveries,
    client: callbackClient,
    clock,
    logger,
    intervalMs: config.CHEQPOINT_DISPATCH_INTERVAL_MS ?? 1_000,
    leaseMs: config.CHEQPOINT_CALLBACK_LEASE_MS ?? Math.max(60_000, callbackTimeoutMs * 2),
    scheduleMs: config.CHEQPOINT_CALLBACK_RETRY_SCHEDULE ?? DEFAULT_RETRY_SCHEDULE_MS,
    crashAt: config.NODE_ENV === 'test' ? (config.CHEQPOINT_TEST_CRASH_AT ?? null) : null,
    ...(options.random ? { random: options.random } : {}),
    onEvent: onCallbackEvent,
  });
  const callbacks = callbacksService({
    repository: deliveries,
    clock,
    nudge: () => dispatcher.nudge(),
    onEvent: onCallbackEvent,
  });

  const approvals = approvalsService({
    repository,
    accounts,
    waiter,
    clock,
    callbackPolicy: { allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST, resolver },
    ...(options.decideDelayMs ? { decideDelayMs: options.decideDelayMs } : {}),
    policies: policiesRepository(conn, clock),
    recordEvent,
    onDecided: (decision) => {
      if (decision.delivery.state === 'pending') dispatcher.nudge();
    },
  });

  const maintenance = startMaintenance({
    repository,
    expireDue: () => approvals.expireDue(),
    clock,
    logger,
    expiryIntervalMs: config.CHEQPOINT_EXPIRY_SWEEP_MS ?? 15_000,
    cleanupIntervalMs: 5 * 60_000,
  });

  let isShuttingDown = false;
  const app = createApp({ conn, accounts, approvals, callbacks, logger, isShuttingDown: () => isShuttingDown });
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
  dispatcher.start();

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      isShuttingDown = true;
      maintenance.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      waiter.closeAll();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.CHEQPOINT_SHUTDOWN_GRACE_MS);
      // Callbacks in flight get the same grace; any still running then are recorded as interrupted.
      await Promise.all([closed, dispatcher.stop(config.CHEQPOINT_SHUTDOWN_GRACE_MS)]);
      clearTimeout(timer);
      await callbackClient.close();
    })();
    return stopping;
  };

  return { url: `http://${host}:${address.port}`, server, waiter, dispatcher, sweepNow: maintenance.runOnce, stop };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import { accountsService } from './accounts/accounts.service.js';
import type { DecisionDoc } from './approvals/approval.model.js';
import { approvalsRepository } from './approvals/approvals.repository.js';
import { approvalsService, type RecordEvent } from './approvals/approvals.service.js';
import { appendEvent, appendEventAt, listEvents } from './audit/audit.service.js';
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
import { ConfigSchema, type Config } from './config.js';
import { ensureIndexes } from './db/indexes.js';
import { RequestLimits } from './http/limits.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';

/** The schema's defaults, for settings a caller (tests, benchmarks) leaves out. */
const DEFAULTS = ConfigSchema.parse({});

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
        | 'CHEQPOINT_HEADERS_TIMEOUT_MS'
        | 'CHEQPOINT_REQUEST_TIMEOUT_MS'
        | 'CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS'
        | 'CHEQPOINT_RATE_LIMIT_PER_SECOND'
        | 'CHEQPOINT_RATE_LIMIT_BURST'
        | 'CHEQPOINT_BAD_KEY_LIMIT'
        | 'CHEQPOINT_TRUST_PROXY'
        | 'CHEQPOINT_METRICS_TOKEN'
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
  /** An HTTP server made by createHttpHost and maybe already listening (main.ts answers 503 on it while the database comes up). */
  http?: HttpHost;
  /** Adds Node.js process metrics (memory, CPU, event loop) to /metrics; once per process. */
  processMetrics?: boolean;
};

/** An HTTP server whose request handler can be swapped (the start-up handler, then the app). */
export type HttpHost = { server: http.Server; setHandler: (handler: http.RequestListener) => void };

type ServerTimeouts = Partial<
  Pick<Config, 'CHEQPOINT_HEADERS_TIMEOUT_MS' | 'CHEQPOINT_REQUEST_TIMEOUT_MS' | 'CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS'>
>;

/**
 * The gateway's HTTP server with its timeouts: a client that sends its headers, or its whole request,
 * too slowly gets 408 and is disconnected (slowloris); held waits are responses, so they are not cut.
 */
export function createHttpHost(config: ServerTimeouts = {}): HttpHost {
  const requestTimeout = config.CHEQPOINT_REQUEST_TIMEOUT_MS ?? DEFAULTS.CHEQPOINT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(
    config.CHEQPOINT_HEADERS_TIMEOUT_MS ?? DEFAULTS.CHEQPOINT_HEADERS_TIMEOUT_MS,
    requestTimeout,
  );
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'retry-after': '5' }).end();
  };
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: config.CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS ?? DEFAULTS.CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS,
      // How often Node checks those two timeouts (its default, 30 s, would let a slow client stay much longer).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => handler(req, res),
  );
  return {
    server,
    setHandler: (next) => {
      handler = next;
    },
  };
}

/** Listens on port and host; resolves once listening. */
export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export type Gateway = {
  url: string;
  server: http.Server;
  waiter: DecisionWaiter<DecisionDoc>;
  metrics: GatewayMetrics;
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
  /**
   * Audit writes after a decision never fail the request that caused them: a committed decision stays
   * committed. The intake's own first events (written at a fixed place) are part of the intake: when one
   * cannot be written the request fails (503 on a database fault) and its retry writes it.
   */
  const recordEvent: RecordEvent = async (approval, type, actor, data, at, place) => {
    if (typeof place === 'object') {
      await appendEventAt(conn, approval.accountId, approval._id, place.exactly, type, actor, data, at);
      return;
    }
    try {
      await appendEvent(conn, approval.accountId, approval._id, type, actor, data, at, place);
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
    if (event.type === 'callback.attempted') metrics.callbackAttempted(event);
    await options.onCallbackEvent?.(event);
  };
  const accounts = accountsService(conn, clock);
  const waiter = new DecisionWaiter<DecisionDoc>({
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

  const metrics = createMetrics({
    heldWaits: () => waiter.count,
    callbacksInFlight: () => dispatcher.activeCount,
  });
  if (options.processMetrics) metrics.collectProcessMetrics();

  const approvals = approvalsService({
    repository,
    accounts,
    waiter,
    clock,
    callbackPolicy: { allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST, resolver },
    ...(options.decideDelayMs ? { decideDelayMs: options.decideDelayMs } : {}),
    policies: policiesRepository(conn, clock),
    recordEvent,
    missingDecisionEvent: async (approval) => {
      const events = await listEvents(conn, approval.accountId, approval._id);
      if (events.some((e) => e.type === 'decided' || e.type === 'expired')) return null;
      return (events.at(-1)?.seq ?? 0) + 1;
    },
    onDecided: (decision, approval) => {
      metrics.approvalDecided(decision, approval.createdAt);
      if (decision.delivery.state === 'pending') dispatcher.nudge();
    },
    onCreated: () => metrics.approvalCreated(),
  });

  const maintenance = startMaintenance({
    repository,
    expireDue: () => approvals.expireDue(),
    clock,
    logger,
    expiryIntervalMs: config.CHEQPOINT_EXPIRY_SWEEP_MS ?? 15_000,
    cleanupIntervalMs: 5 * 60_000,
  });

  const ratePerSecond = config.CHEQPOINT_RATE_LIMIT_PER_SECOND ?? DEFAULTS.CHEQPOINT_RATE_LIMIT_PER_SECOND;
  const badKeysPerMinute = config.CHEQPOINT_BAD_KEY_LIMIT ?? DEFAULTS.CHEQPOINT_BAD_KEY_LIMIT;
  const limits =
    ratePerSecond > 0 || badKeysPerMinute > 0
      ? new RequestLimits({
          ratePerSecond,
          burst: config.CHEQPOINT_RATE_LIMIT_BURST ?? DEFAULTS.CHEQPOINT_RATE_LIMIT_BURST,
          badKeysPerMinute,
          logger,
          onLimited: (kind) => metrics.rateLimited(kind),
        })
      : null;

  let isShuttingDown = false;
  const app = createApp({
    conn,
    accounts,
    approvals,
    callbacks,
    logger,
    isShuttingDown: () => isShuttingDown,
    limits,
    metrics,
    metricsToken: config.CHEQPOINT_METRICS_TOKEN ?? null,
    trustProxy: config.CHEQPOINT_TRUST_PROXY ?? false,
  });
  const host = options.http ?? createHttpHost(config);
  host.setHandler(app);
  const server = host.server;
  if (!server.listening) await listen(server, config.PORT, config.HOST);
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
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

  return {
    url: `http://${hostname}:${address.port}`,
    server,
    waiter,
    metrics,
    dispatcher,
    sweepNow: maintenance.runOnce,
    stop,
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Connection } from 'mongoose';
import { accountsService } from './accounts/accounts.service.js';
import { createActions } from './actions/actions.js';
import { actionsRouter } from './actions/actions.router.js';
import type { ExecutionCrashPoint, ExecutionEvent } from './actions/execution-dispatcher.js';
import { EXECUTION_CRASH_POINTS } from './actions/execution-dispatcher.js';
import { parseSecretsKey } from './actions/secrets-key.js';
import { secretsStore } from './actions/secrets.js';
import { executionSources } from './approvals/execution-sources.js';
import type { ApprovalChange } from './approvals/approval-changes.js';
import { approvalModels, type DecisionDoc } from './approvals/approval.model.js';
import { deliverySources } from './approvals/delivery-sources.js';
import { approvalStore } from './approvals/approval-store.js';
import { approvalsApi, followChanges, type ApprovalsService } from './approvals/approvals.js';
import type { ApprovalsContext } from './approvals/context.js';
import { DecisionReads } from './approvals/decision-reads.js';
import { DecisionWaiter } from './approvals/decision-waiter.js';
import { ListWatch } from './approvals/list-watch.js';
import { startMaintenance, type MaintenanceResult } from './approvals/maintenance.js';
import { PendingSet } from './approvals/pending-set.js';
import { ticketSlots } from './approvals/ticket-slots.js';
import { createApp } from './app.js';
import { AuditTrail } from './audit/audit-trail.js';
import { systemResolver, type Resolver } from './callbacks/callback-url.js';
import { callbacksService } from './callbacks/callbacks.service.js';
import { deliveriesRepository } from './callbacks/deliveries.repository.js';
import { CallbackDispatcher, CRASH_POINTS, type CrashPoint, type DeliveryEvent } from './callbacks/dispatcher.js';
import { createCallbackClient } from './callbacks/safe-client.js';
import { ChangeFeed } from './changes/change-feed.js';
import type { Config } from './config.js';
import { findByIds } from './db/find-by-ids.js';
import { ensureIndexes } from './indexes.js';
import { answerClientError } from './http/client-error.js';
import { appPageLimits } from './http/app-page-limits.js';
import { RequestLimits } from './http/limits.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createInsights, type InsightsService } from './insights/insights.js';
import { insightsRouter } from './insights/insights.router.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { policiesRepository } from './policies/policies.repository.js';
import { upgradeStorage } from './storage-upgrade.js';
import { AppError } from './http/app-error.js';
import { createSlack } from './slack/slack.js';
import type { SlackAttemptEvent } from './slack/slack-dispatcher.js';
import { zendeskConnections } from './zendesk/connections.js';
import { createZendesk } from './zendesk/zendesk.js';
import { verifiedDeciders } from './zendesk/verified-decider.js';
import { zendeskVerifications } from './zendesk/verifications.js';
import type { ZendeskAttemptEvent } from './zendesk/zendesk-dispatcher.js';

export type GatewayOptions = {
  /** The parsed configuration (loadConfig, or ConfigSchema.parse in tests and benchmarks). */
  config: Config;
  conn: Connection;
  logger: Logger;
  clock?: Clock;
  resolver?: Resolver;
  /** Test-only hook, see ApprovalsContext.decideDelayMs. */
  decideDelayMs?: number;
  /** Randomness of the retry jitter (tests pin it). */
  random?: () => number;
  /** Called after each callback attempt is recorded. */
  onCallbackEvent?: (event: DeliveryEvent) => void | Promise<void>;
  /** An HTTP server made by createHttpHost and maybe already listening (main.ts answers 503 on it while the database comes up). */
  http?: HttpHost;
  /** Called after each attempt of a Zendesk effect (tag, notification, note). */
  onZendeskAttempt?: (event: ZendeskAttemptEvent) => void;
  /** Called after each attempt of a Slack call (post, update, thread reply). */
  onSlackAttempt?: (event: SlackAttemptEvent) => void;
  /** Called after each execution attempt of a decided action is recorded. */
  onExecutionEvent?: (event: ExecutionEvent) => void;
  /** Adds Node.js process metrics (memory, CPU, event loop) to /metrics; once per process. */
  processMetrics?: boolean;
};

/** An HTTP server whose request handler can be swapped (the start-up handler, then the app). */
export type HttpHost = { server: http.Server; setHandler: (handler: http.RequestListener) => void };

type ServerTimeouts = Pick<
  Config,
  'CHEQPOINT_HEADERS_TIMEOUT_MS' | 'CHEQPOINT_REQUEST_TIMEOUT_MS' | 'CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS'
>;

/**
 * The gateway's HTTP server with its timeouts: a client that sends its headers, or its whole request,
 * too slowly gets 408 and is disconnected (slowloris); held waits are responses, so they are not cut.
 * Node's own refusals (408, 431, framing 400) are answered as problem+json too (answerClientError).
 */
export function createHttpHost(config: ServerTimeouts): HttpHost {
  const requestTimeout = config.CHEQPOINT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(config.CHEQPOINT_HEADERS_TIMEOUT_MS, requestTimeout);
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'retry-after': '5' }).end();
  };
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: config.CHEQPOINT_KEEP_ALIVE_TIMEOUT_MS,
      // How often Node checks those two timeouts (its default, 30 s, would let a slow client stay much longer).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => handler(req, res),
  );
  server.on('clientError', answerClientError);
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
  /** Held list calls (`GET /api/agent/approvals?since=&wait=`). */
  lists: ListWatch;
  metrics: GatewayMetrics;
  /** Sends callbacks; `nudge()` it after a decision so the first attempt goes out at once. */
  dispatcher: CallbackDispatcher;
  /** Runs the housekeeping sweeps now (they also run every few minutes). */
  sweepNow: () => Promise<MaintenanceResult>;
  /** Graceful stop: refuse new work, answer held waits with the current state, drain, close. */
  stop: () => Promise<void>;
};

/**
 * Approvals whose answered held waits (`?wait=`) count the decisions made while the requester waited
 * (in the metrics, and in the insights when a person decided).
 */
function withWaitMetrics(
  approvals: ApprovalsService,
  metrics: GatewayMetrics,
  insights: Pick<InsightsService, 'waited'>,
): ApprovalsService {
  // One count per approval in this process, should the requester hold two calls on it at once.
  const counted = new Set<string>();
  return {
    ...approvals,
    waitForDecision: async (accountId, approvalId, seconds, signal, startedAt = Date.now()) => {
      const approval = await approvals.waitForDecision(accountId, approvalId, seconds, signal, startedAt);
      const decidedAt = approval.decidedAt ? Date.parse(approval.decidedAt) : null;
      // Decided after this call arrived and before it answered: the requester was still waiting.
      if (
        seconds > 0 &&
        decidedAt !== null &&
        decidedAt >= startedAt &&
        approval.decidedBy &&
        !counted.has(approvalId)
      ) {
        counted.add(approvalId);
        if (counted.size > 10_000) counted.delete(counted.values().next().value as string);
        metrics.decidedWhileWaiting(approval.decidedBy);
        insights.waited(approval, accountId);
      }
      return approval;
    },
  };
}

/** Wires the services, brings the stored data up to date and starts listening. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, conn, logger } = options;
  const clock = options.clock ?? systemClock;
  await ensureIndexes(conn);

  const feed = new ChangeFeed<ApprovalChange>(conn, { intervalMs: config.CHEQPOINT_WATCH_INTERVAL_MS, clock, logger });
  await upgradeStorage(conn, feed, logger);
  // Secrets stored and no key (or another one) would make every execution that needs one fail: refuse.
  const secretsKey = config.CHEQPOINT_SECRETS_KEY ? parseSecretsKey(config.CHEQPOINT_SECRETS_KEY) : null;
  await secretsStore(conn).checkKey(secretsKey);
  const audit = new AuditTrail(conn, logger);
  const accounts = accountsService(conn, clock);
  const waiter = new DecisionWaiter<DecisionDoc>({ maxWaiters: config.CHEQPOINT_MAX_WAITERS });
  // Held list calls share the cap of held calls with the decision waits.
  const lists: ListWatch = new ListWatch({
    hasRoom: () => waiter.count + lists.count < config.CHEQPOINT_MAX_WAITERS,
  });
  const metrics = createMetrics({
    heldWaits: () => waiter.count + lists.count,
    callbacksInFlight: () => dispatcher.activeCount,
  });
  if (options.processMetrics) metrics.collectProcessMetrics();
  // Daily rollups of what is requested and decided (GET /api/agent/insights, policy suggest).
  const insights = createInsights({ conn, clock, logger });

  const onCallbackEvent = async (event: DeliveryEvent) => {
    await audit.bestEffort({ _id: event.approvalId, accountId: event.accountId }, event.type, () =>
      event.type === 'callback.redelivered' ? audit.recordRedelivery(event) : audit.recordDelivery(event),
    );
    if (event.type === 'callback.attempted') metrics.callbackAttempted(event);
    await options.onCallbackEvent?.(event);
  };
  const resolver = options.resolver ?? systemResolver;
  const crashAt = config.NODE_ENV === 'test' ? (config.CHEQPOINT_TEST_CRASH_AT ?? null) : null;
  const callbackClient = createCallbackClient({
    resolver,
    allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST,
    timeoutMs: config.CHEQPOINT_CALLBACK_TIMEOUT_MS,
  });
  const deliveries = deliveriesRepository(conn, deliverySources(conn));
  const dispatcher = new CallbackDispatcher({
    repository: deliveries,
    client: callbackClient,
    clock,
    logger,
    intervalMs: config.CHEQPOINT_DISPATCH_INTERVAL_MS,
    leaseMs: config.CHEQPOINT_CALLBACK_LEASE_MS,
    scheduleMs: config.CHEQPOINT_CALLBACK_RETRY_SCHEDULE,
    crashAt: (CRASH_POINTS as readonly string[]).includes(crashAt ?? '') ? (crashAt as CrashPoint) : null,
    ...(options.random ? { random: options.random } : {}),
    onEvent: onCallbackEvent,
  });
  const callbacks = callbacksService({
    repository: deliveries,
    clock,
    nudge: () => dispatcher.nudge(),
    onEvent: onCallbackEvent,
  });

  // The optional Zendesk connection: it sees the approvals only through their hooks and their facade.
  const zendesk = createZendesk({
    conn,
    clock,
    logger,
    registry: metrics.registry,
    tickets: {
      pendingOfTicket: async (accountId, ticketId) =>
        (await approvals.list(accountId, { ticketId, status: 'pending', limit: 200 })).map((a) => a.approvalId),
    },
    intervalMs: config.CHEQPOINT_DISPATCH_INTERVAL_MS,
    leaseMs: config.CHEQPOINT_CALLBACK_LEASE_MS,
    timeoutMs: config.CHEQPOINT_CALLBACK_TIMEOUT_MS,
    scheduleMs: config.CHEQPOINT_ZENDESK_RETRY_SCHEDULE,
    ...(options.random ? { random: options.random } : {}),
    onAttempt: (event) => {
      // A reply's outcome goes onto its execution (what the sidebar shows: "replied to the customer").
      if (event.effect === 'reply' && event.state !== 'retry') {
        const reply = ({ done: 'added', failed: 'failed', skipped: 'skipped' } as const)[event.state];
        void actions
          .recordReply(event.approvalId, reply)
          .catch((err: unknown) =>
            logger.warn('reply state not recorded', { approvalId: event.approvalId, error: String(err) }),
          );
      }
      options.onZendeskAttempt?.(event);
    },
  });

  // Decided actions Cheqpoint carries out (README "Late decisions"), through the callbacks' SSRF-safe client.
  const actions = createActions({
    conn,
    sources: executionSources(conn),
    clock,
    logger,
    registry: metrics.registry,
    client: callbackClient,
    replies: {
      queue: (reply, holdMs) => zendesk.effects.queueReply(reply, holdMs),
      release: (approvalId) => zendesk.effects.releaseReply(approvalId),
    },
    secretsKey,
    graceMs: config.CHEQPOINT_EXECUTION_GRACE_MS,
    intervalMs: config.CHEQPOINT_DISPATCH_INTERVAL_MS,
    leaseMs: config.CHEQPOINT_CALLBACK_LEASE_MS,
    scheduleMs: config.CHEQPOINT_CALLBACK_RETRY_SCHEDULE,
    ...(options.random ? { random: options.random } : {}),
    crashAt: (EXECUTION_CRASH_POINTS as readonly string[]).includes(crashAt ?? '')
      ? (crashAt as ExecutionCrashPoint)
      : null,
    onEvent: async (event) => {
      if (event.state === 'succeeded' || event.state === 'failed') {
        const state = event.state;
        await audit.bestEffort({ _id: event.approvalId, accountId: event.accountId }, 'execution', () =>
          audit.recordExecution({ ...event, state }),
        );
      }
      options.onExecutionEvent?.(event);
    },
    // Held lists of the ticket (sidebar cards) and of the account (the queue) answer on every process.
    onChanged: (change) => feed.append({ kind: 'executed', ...change }),
  });

  // The optional Slack connection: like Zendesk, it sees the approvals only through their hooks and facade.
  const zendeskForSlack = zendeskConnections(conn, clock);
  const slack = createSlack({
    conn,
    clock,
    logger,
    registry: metrics.registry,
    approvals: {
      get: async (accountId, approvalId) => {
        try {
          return await approvals.get(accountId, approvalId);
        } catch (err) {
          if (err instanceof AppError && err.status === 404) return null;
          throw err;
        }
      },
      decide: async (accountId, approvalId, decision) =>
        (
          await approvals.decide(
            { accountId, keyId: 'slack', scope: 'agent' },
            approvalId,
            { ...decision, channel: 'slack' },
            null,
          )
        ).approval,
      ticketUrl: async (accountId, ticketId) => {
        const connection = await zendeskForSlack.find(accountId);
        return connection && /^\d{1,19}$/.test(ticketId) ? `${connection.baseUrl}/agent/tickets/${ticketId}` : null;
      },
    },
    people: zendesk.staff,
    intervalMs: config.CHEQPOINT_DISPATCH_INTERVAL_MS,
    leaseMs: config.CHEQPOINT_CALLBACK_LEASE_MS,
    timeoutMs: config.CHEQPOINT_SLACK_TIMEOUT_MS,
    scheduleMs: config.CHEQPOINT_SLACK_RETRY_SCHEDULE,
    ...(options.random ? { random: options.random } : {}),
    ...(options.onSlackAttempt ? { onAttempt: options.onSlackAttempt } : {}),
  });

  const ctx: ApprovalsContext = {
    store: approvalStore(conn),
    tickets: ticketSlots(conn),
    pending: new PendingSet(conn),
    feed,
    waiter,
    decisionReads: new DecisionReads((ids) => findByIds(approvalModels(conn).Decision, ids)),
    lists,
    audit,
    outbox: { prepare: (id, dueAt) => deliveries.prepare(id, dueAt), sendNow: (id) => dispatcher.sendNow(id) },
    actions: actions.hooks,
    accounts,
    policies: policiesRepository(conn, clock),
    callbackPolicy: { allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST, resolver },
    staff: zendesk.staff,
    clock,
    onDecided: (decision, approval) => {
      metrics.approvalDecided(decision, approval.createdAt);
      insights.decided(decision, approval);
      zendesk.effects.onDecided(decision, approval);
      slack.effects.onDecided(decision, approval);
    },
    onCreated: (approval) => {
      metrics.approvalCreated();
      insights.created(approval);
      zendesk.effects.onCreated(approval);
      slack.effects.onCreated(approval);
    },
    onEscalated: (approval, escalation) => {
      zendesk.effects.onEscalated(approval, escalation);
      slack.effects.onEscalated(approval, escalation);
    },
    ...(options.decideDelayMs ? { decideDelayMs: options.decideDelayMs } : {}),
  };
  const approvals = approvalsApi(ctx);
  const served = withWaitMetrics(approvals, metrics, insights);
  // Feed position first, then the pending set: a change made in between is applied twice, never missed.
  const unfollow = followChanges(ctx);
  lists.startAt(await feed.start());
  await ctx.pending.load();

  const maintenance = startMaintenance({
    conn,
    feed,
    store: ctx.store,
    pending: ctx.pending,
    deliveries,
    expireDue: () => approvals.expireDue(),
    escalateDue: () => approvals.escalateDue(),
    clock,
    logger,
    expiryIntervalMs: config.CHEQPOINT_EXPIRY_SWEEP_MS,
    cleanupIntervalMs: 5 * 60_000,
  });

  const limits =
    config.CHEQPOINT_RATE_LIMIT_PER_SECOND > 0 || config.CHEQPOINT_BAD_KEY_LIMIT > 0
      ? new RequestLimits({
          ratePerSecond: config.CHEQPOINT_RATE_LIMIT_PER_SECOND,
          burst: config.CHEQPOINT_RATE_LIMIT_BURST,
          badKeysPerMinute: config.CHEQPOINT_BAD_KEY_LIMIT,
          logger,
          onLimited: (kind) => metrics.rateLimited(kind),
        })
      : null;

  // Installations whose signed URLs identify the deciding agent (`zendesk verify`).
  const verifications = zendeskVerifications(conn, clock);
  let isShuttingDown = false;
  const app = createApp({
    conn,
    accounts,
    approvals: served,
    audit,
    callbacks,
    logger,
    isShuttingDown: () => isShuttingDown,
    limits,
    metrics,
    metricsToken: config.CHEQPOINT_METRICS_TOKEN ?? null,
    trustProxy: config.CHEQPOINT_TRUST_PROXY,
    deciders: verifiedDeciders(verifications, clock),
    slack: slack.router,
    insights: insightsRouter({ accounts, insights, limits }),
    executions: actionsRouter({
      accounts,
      actions,
      approval: (accountId, approvalId) => served.get(accountId, approvalId),
      limits,
    }),
    signedApp: config.CHEQPOINT_APP_DIR
      ? { appDir: config.CHEQPOINT_APP_DIR, verifications, clock, limits: appPageLimits(config, logger, metrics) }
      : null,
  });
  const host = options.http ?? createHttpHost(config);
  host.setHandler(app);
  const server = host.server;
  if (!server.listening) await listen(server, config.PORT, config.HOST);
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  dispatcher.start();
  zendesk.dispatcher.start();
  slack.dispatcher.start();
  actions.dispatcher.start();
  void slack.repairPosts((accountId) => ctx.pending.ofAccount(accountId));

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      isShuttingDown = true;
      maintenance.stop();
      feed.stop();
      unfollow();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      waiter.closeAll();
      lists.closeAll();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.CHEQPOINT_SHUTDOWN_GRACE_MS);
      // Callbacks in flight get the same grace; any still running then are recorded as interrupted.
      await Promise.all([
        closed,
        dispatcher.stop(config.CHEQPOINT_SHUTDOWN_GRACE_MS),
        zendesk.dispatcher.stop(config.CHEQPOINT_SHUTDOWN_GRACE_MS),
        slack.dispatcher.stop(config.CHEQPOINT_SHUTDOWN_GRACE_MS),
        actions.dispatcher.stop(config.CHEQPOINT_SHUTDOWN_GRACE_MS),
      ]);
      clearTimeout(timer);
      // The counts of the last decisions, within a short grace (a database that is gone loses them).
      await Promise.race([insights.flush(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await callbackClient.close();
    })();
    return stopping;
  };

  return {
    url: `http://${hostname}:${address.port}`,
    server,
    waiter,
    lists,
    metrics,
    dispatcher,
    sweepNow: maintenance.runOnce,
    stop,
  };
}

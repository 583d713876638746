import type http from 'node:http';
import type { Connection } from 'mongoose';
import { problemTypeUri } from '@cheqpoint/shared';
import { ConfigError, loadConfig } from './config.js';
import { boundedConnectionOptions, connectDatabase } from './db/connection.js';
import { EmbeddedDatabaseError, openEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded-ferretdb.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { createHttpHost, listen, startGateway, type Gateway } from './gateway.js';
import { createLogger } from './lib/logger.js';

/**
 * Answers while the database is not reachable yet: liveness 200, readiness 503, everything else 503
 * database-unavailable with Retry-After. Nothing is accepted, so nothing can be lost.
 */
const startingHandler: http.RequestListener = (req, res) => {
  const path = (req.url ?? '').split('?')[0];
  const json = (status: number, body: unknown, type = 'application/json') =>
    res
      .writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'retry-after': '5' })
      .end(JSON.stringify(body));
  if (path === '/healthz') return json(200, { status: 'starting' });
  if (path === '/readyz') return json(503, { status: 'starting' });
  json(
    503,
    {
      type: problemTypeUri('database-unavailable'),
      title: 'Database unavailable',
      status: 503,
      detail: 'The gateway is starting and cannot reach its database yet; retry shortly',
    },
    'application/problem+json',
  );
};

/**
 * Starts the gateway: config, HTTP (answering 503 until ready), database (embedded FerretDB unless
 * MONGODB_URI; retried until reachable), then the app; stops on SIGTERM/SIGINT.
 */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  // A signal before the shutdown below exists (opening the embedded database can take a while) is kept
  // and acted on then, so the FerretDB this start opened is stopped too instead of left running.
  let earlySignal: string | null = null;
  const keepSignal = (signal: string) => void (earlySignal = signal);
  process.on('SIGTERM', keepSignal);
  process.on('SIGINT', keepSignal);

  let embedded: EmbeddedDatabase | null = null;
  let uri = config.MONGODB_URI;
  if (!uri) {
    try {
      embedded = await openEmbeddedDatabase({
        toolsDir: config.CHEQPOINT_TOOLS_DIR,
        dataDir: config.CHEQPOINT_DATA_DIR,
        port: config.CHEQPOINT_EMBEDDED_DB_PORT,
        log: (line) => logger.info(line),
      });
    } catch (err) {
      if (err instanceof EmbeddedDatabaseError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(69);
      }
      throw err;
    }
    uri = `${embedded.uri}cheqpoint`;
    logger.info(embedded.isStarted ? 'embedded FerretDB started' : 'using the embedded FerretDB already running', {
      port: config.CHEQPOINT_EMBEDDED_DB_PORT,
    });
  }

  // Listen first: probes see "alive, not ready" while the database is away, instead of a refused port.
  const httpHost = createHttpHost(config);
  httpHost.setHandler(startingHandler);
  await listen(httpHost.server, config.PORT, config.HOST);

  let conn: Connection | null = null;
  let gateway: Gateway | null = null;
  let isStopping = false;
  /** 0 after a signal; EX_SOFTWARE (70) once an unhandled rejection was seen, so the stop reads as a failure. */
  let exitCode = 0;
  const shutdown = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info('shutting down', { signal, heldWaits: gateway?.waiter.count ?? 0 });
    const force = setTimeout(() => process.exit(exitCode || 1), config.CHEQPOINT_SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    if (gateway) await gateway.stop();
    else await new Promise<void>((resolve) => httpHost.server.close(() => resolve()));
    await conn?.close();
    // Leaves the embedded FerretDB running while another gateway or CLI command still uses it.
    await embedded
      ?.stop()
      .catch((err: unknown) => logger.warn('stopping the embedded FerretDB failed', { error: String(err) }));
    logger.info('stopped', { exitCode });
    process.exit(exitCode);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.off('SIGTERM', keepSignal);
  process.off('SIGINT', keepSignal);
  if (earlySignal) void shutdown(earlySignal);
  // An unhandled rejection is a bug with unknown effects: a write half done, a lease or timer no longer
  // renewed, a held call never answered. Carrying on would hide it and leave the process in that state.
  // Everything that matters is in the database (approvals, callback and Zendesk outboxes with leases), so a
  // fresh process recovers it: log it as fatal, stop gracefully (held calls get the current state, callbacks
  // in flight get the grace), and exit 70 so the supervisor restarts the process. Node's own default, exiting
  // at once, would cut held calls and in-flight callbacks; a later signal or rejection joins the same stop.
  process.on('unhandledRejection', (reason) => {
    exitCode = 70;
    logger.error('unhandled rejection; stopping so that a fresh process takes over', {
      fatal: true,
      error: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason),
      stack: reason instanceof Error ? reason.stack : undefined,
    });
    void shutdown('unhandledRejection');
  });

  // The database may come up after the gateway (a restart of both, a failover): retry with backoff.
  for (let attempt = 1; !isStopping; attempt++) {
    try {
      conn = await connectDatabase(uri, undefined, boundedConnectionOptions(config.CHEQPOINT_DB_TIMEOUT_MS));
      if (isStopping) return;
      gateway = await startGateway({ config, conn, logger, http: httpHost, processMetrics: true });
      break;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      await conn?.close().catch(() => {});
      conn = null;
      const retryInMs = Math.min(1_000 * 2 ** (attempt - 1), 10_000);
      logger.warn('database unreachable; retrying', { attempt, retryInMs, error: (err as Error).message });
      await new Promise((r) => setTimeout(r, retryInMs));
    }
  }
  if (!gateway) return;
  logger.info(`Cheqpoint gateway listening on ${gateway.url}`, {
    database: embedded ? 'embedded FerretDB' : 'MONGODB_URI',
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`Cheqpoint failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

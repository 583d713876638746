import { ConfigError, loadConfig } from './config.js';
import { connectDatabase } from './db/connection.js';
import { EmbeddedDatabaseError, openEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded-ferretdb.js';
import { startGateway } from './gateway.js';
import { createLogger } from './lib/logger.js';

/** Starts the gateway: config, database (embedded FerretDB unless MONGODB_URI), HTTP; stops on SIGTERM/SIGINT. */
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
    logger.info(embedded.isOwned ? 'embedded FerretDB started' : 'using the embedded FerretDB already running', {
      port: config.CHEQPOINT_EMBEDDED_DB_PORT,
    });
  }

  const conn = await connectDatabase(uri);
  const gateway = await startGateway({ config, conn, logger });
  logger.info(`Cheqpoint gateway listening on ${gateway.url}`, {
    database: embedded ? 'embedded FerretDB' : 'MONGODB_URI',
  });

  let isStopping = false;
  const shutdown = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info('shutting down', { signal, heldWaits: gateway.waiter.count });
    const force = setTimeout(() => process.exit(1), config.CHEQPOINT_SHUTDOWN_GRACE_MS + 5_000);
    force.unref();
    await gateway.stop();
    await conn.close();
    if (embedded?.isOwned) await embedded.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: String(reason) });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`Cheqpoint failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import mongoose, { type Connection } from 'mongoose';

mongoose.set('strictQuery', 'throw');
mongoose.set('sanitizeFilter', true);

/** Connection options: fail fast instead of buffering when the database is away. */
export const CONNECTION_OPTIONS = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  bufferCommands: false,
  autoIndex: false,
  autoCreate: false,
  maxPoolSize: 50,
} as const;

/** How often the gateway's driver checks that the database answers (a `hello` on its own connection). */
const HEARTBEAT_MS = 500;

/**
 * The gateway's bound on a database that stops answering (a blackhole, not a refusal): the driver's
 * monitor notices within a heartbeat plus a connect timeout, marks the server unknown and interrupts the
 * operations waiting on it; their one retry then fails server selection. So a request answers 503 +
 * Retry-After within about `timeoutMs` instead of hanging until the socket dies. Slow but answering
 * operations are not cut (the socket timeout stays long), so a busy database is not mistaken for a dead
 * one. Only the gateway uses it: the CLI and bulk jobs keep CONNECTION_OPTIONS.
 */
export function boundedConnectionOptions(timeoutMs: number) {
  const perStep = Math.max(250, Math.floor((timeoutMs - HEARTBEAT_MS) / 2));
  return {
    serverSelectionTimeoutMS: perStep,
    connectTimeoutMS: perStep,
    heartbeatFrequencyMS: HEARTBEAT_MS,
  } as const;
}

/** Opens a connection; `dbName` overrides the database named in the URI (tests use one per file). */
export async function connectDatabase(
  uri: string,
  dbName?: string,
  overrides: Partial<Record<keyof ReturnType<typeof boundedConnectionOptions>, number>> = {},
): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { ...CONNECTION_OPTIONS, ...overrides, ...(dbName ? { dbName } : {}) });
  try {
    await conn.asPromise();
  } catch (err) {
    await conn.close().catch(() => {});
    throw err;
  }
  return conn;
}

/** Database round trip used by readiness; rejects after `timeoutMs`. */
export async function pingDatabase(conn: Connection, timeoutMs = 2_000): Promise<void> {
  const db = conn.db;
  if (!db) throw new Error('Database connection is not open');
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.command({ ping: 1 }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('Database ping timed out')), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

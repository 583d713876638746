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

/** Opens a connection; `dbName` overrides the database named in the URI (tests use one per file). */
export async function connectDatabase(uri: string, dbName?: string): Promise<Connection> {
  const conn = mongoose.createConnection(uri, { ...CONNECTION_OPTIONS, ...(dbName ? { dbName } : {}) });
  await conn.asPromise();
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

import type { Connection } from 'mongoose';
import { inject } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { uniqueDbName } from './gateway.js';
import { spawnGatewayProcess, waitForReady, type GatewayProcess } from './process.js';

export type TwoGatewayProcesses = {
  conn: Connection;
  keys: CreatedAccount;
  a: GatewayProcess;
  b: GatewayProcess;
  /** Kills both processes and drops the database. */
  close: () => Promise<void>;
};

/**
 * Two real gateway processes on one fresh database, with one account: what multi-process mode is.
 * `prepare` runs on the database before the processes start (a policy, a Zendesk connection).
 */
export async function startTwoGatewayProcesses(
  label: string,
  env: Record<string, string>,
  prepare?: (conn: Connection, keys: CreatedAccount) => Promise<unknown>,
): Promise<TwoGatewayProcesses> {
  const dbName = uniqueDbName(label);
  const conn = await connectDatabase(inject('mongodbUri'), dbName);
  const keys = await accountsService(conn).createAccount(label.replace(/_/g, '-'));
  await prepare?.(conn, keys);
  const processEnv = { MONGODB_URI: `${inject('mongodbUri')}${dbName}`, ...env };
  const [a, b] = await Promise.all([spawnGatewayProcess(processEnv), spawnGatewayProcess(processEnv)]);
  await Promise.all([waitForReady(a), waitForReady(b)]);
  return {
    conn,
    keys,
    a,
    b,
    close: async () => {
      await Promise.all([a.kill(), b.kill()]);
      await conn.dropDatabase().catch(() => {});
      await conn.close();
    },
  };
}

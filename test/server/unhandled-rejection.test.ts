import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accountsService, type CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { approvalModels } from '../../server/src/approvals/approval.model.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { uniqueDbName } from '../support/gateway.js';
import { call, uniqueRequest } from '../support/http.js';
import { spawnGatewayProcess, until, waitForReady, type GatewayProcess } from '../support/process.js';

/**
 * Preloaded into the real gateway process: on SIGUSR2 it leaves a promise rejected with nobody
 * handling it, as a bug in any background task would. Nothing in the gateway itself is changed.
 */
const REJECT_ON_SIGNAL = `process.on('SIGUSR2', () => { Promise.reject(new Error('boom from the test')); });`;

describe('An unhandled rejection in a real gateway process', () => {
  const dbName = uniqueDbName('unhandled');
  let conn: Connection;
  let keys: CreatedAccount;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    conn = await connectDatabase(inject('mongodbUri'), dbName);
    keys = await accountsService(conn).createAccount('unhandled');
    gateway = await spawnGatewayProcess({
      MONGODB_URI: `${inject('mongodbUri')}${dbName}`,
      CHEQPOINT_SHUTDOWN_GRACE_MS: '3000',
      NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(REJECT_ON_SIGNAL)}`,
    });
    await waitForReady(gateway);
  });
  afterAll(async () => {
    await gateway?.kill();
    await conn?.dropDatabase().catch(() => {});
    await conn?.close();
  });

  it('When a promise rejection goes unhandled, then it is logged as fatal, held calls are answered, and the process exits 70', async () => {
    const held = call(gateway.url, 'POST', '/api/webhooks/inbound?wait=20', {
      key: keys.flowKey,
      body: uniqueRequest({ details: { ticket_id: 'unhandled-1' } }),
    });
    const { Approval } = approvalModels(conn);
    await until(async () => (await Approval.countDocuments({ ticketId: 'unhandled-1' })) === 1, 'the held intake');
    const signalledAt = Date.now();
    gateway.child.kill('SIGUSR2');

    // The held call gets the approval's current state (202, pending) instead of a cut connection.
    const answer = await held;
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe('pending');
    const code = await Promise.race([
      gateway.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000)),
    ]);
    expect(code).toBe(70);
    // Within the grace (the answered keep-alive connection is closed at its end), before the forced exit.
    expect(Date.now() - signalledAt).toBeLessThan(3_000 + 4_000);
    const fatal = gateway
      .output()
      .split('\n')
      .filter((line) => line.includes('unhandled rejection'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(fatal).toEqual([
      expect.objectContaining({
        level: 'error',
        fatal: true,
        error: 'Error: boom from the test',
        stack: expect.stringContaining('boom from the test'),
      }),
    ]);
    // The approval it had accepted is intact for the process that takes over.
    expect(await Approval.countDocuments({ ticketId: 'unhandled-1', status: 'pending' })).toBe(1);
  });
});

import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ApprovalsRepository } from './approvals.repository.js';

export type MaintenanceResult = { expired: number; idempotencyRecordsRemoved: number };

/**
 * Periodic sweeps, safe with several gateway processes (every step is idempotent, and expiry goes
 * through the same decision insert as people do, so it cannot overturn a decision):
 * - expire pending approvals past their expiry (rejected, decidedBy expiry, callback queued);
 * - remove idempotency records past their retention, and callback claim records older than a day
 *   (FerretDB v1 has no TTL indexes).
 */
export function startMaintenance(options: {
  repository: ApprovalsRepository;
  expireDue: () => Promise<number>;
  clock: Clock;
  logger: Logger;
  expiryIntervalMs: number;
  cleanupIntervalMs: number;
}) {
  const { logger } = options;
  const expire = async () => {
    const expired = await options.expireDue();
    if (expired > 0) logger.info('approvals expired', { count: expired });
    return expired;
  };
  const cleanup = async () => {
    const now = options.clock.now();
    await options.repository.sweepDeliveryClaims(new Date(now.getTime() - 24 * 60 * 60 * 1000));
    return options.repository.sweepIdempotency(now);
  };
  const every = (ms: number, task: () => Promise<unknown>, name: string) => {
    let isRunning = false;
    const timer = setInterval(() => {
      if (isRunning) return;
      isRunning = true;
      task()
        .catch((err: unknown) => logger.warn(`${name} failed`, { error: String((err as Error).message) }))
        .finally(() => (isRunning = false));
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = [
    every(options.expiryIntervalMs, expire, 'expiry sweep'),
    every(options.cleanupIntervalMs, cleanup, 'cleanup'),
  ];
  return {
    runOnce: async (): Promise<MaintenanceResult> => ({
      expired: await expire(),
      idempotencyRecordsRemoved: await cleanup(),
    }),
    stop: () => timers.forEach((t) => clearInterval(t)),
  };
}

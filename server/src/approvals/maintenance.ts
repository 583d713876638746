import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ApprovalsRepository } from './approvals.repository.js';

export type MaintenanceResult = { idempotencyRecordsRemoved: number };

/**
 * Periodic housekeeping, safe with several gateway processes (every step is idempotent):
 * removes idempotency records past their retention (FerretDB v1 has no TTL indexes).
 */
export function startMaintenance(options: {
  repository: ApprovalsRepository;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
}) {
  const runOnce = async (): Promise<MaintenanceResult> => {
    const idempotencyRecordsRemoved = await options.repository.sweepIdempotency(options.clock.now());
    return { idempotencyRecordsRemoved };
  };
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) =>
      options.logger.warn('maintenance failed', { error: String((err as Error).message) }),
    );
  }, options.intervalMs);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}

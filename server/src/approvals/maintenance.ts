import type { Connection } from 'mongoose';
import type { DeliveriesRepository } from '../callbacks/deliveries.repository.js';
import type { ChangeFeed } from '../changes/change-feed.js';
import { readMeta, writeMeta } from '../db/meta.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ApprovalChange } from './approval-changes.js';
import type { ApprovalStore } from './approval-store.js';
import { IDEMPOTENCY_RETENTION_MS } from './intake.js';
import type { PendingSet } from './pending-set.js';

export type MaintenanceResult = { expired: number; idempotencyRecordsRemoved: number };

/** Where the idempotency sweep has walked the change feed to (shared by every process). */
const IDEMPOTENCY_SWEEP_KEY = 'idempotency-sweep-position';
/** Most feed entries one idempotency sweep walks. */
const SWEEP_STEP = 5_000;

/**
 * Periodic sweeps, safe with several gateway processes (every step is idempotent, and expiry goes
 * through the same decision insert as people do, so it cannot overturn a decision). None scans what is
 * stored: each reads a small working set or walks forward by key.
 * - expire pending approvals past their expiry (from the pending set);
 * - remove idempotency records past their retention, walking the change feed from where the last sweep
 *   stopped (each intake's entry names its record; FerretDB v1 has no TTL indexes);
 * - reload the pending set from its durable copy (a safety net for a change another process made but
 *   could not announce), and remove callback claim records a crashed attempt left.
 */
export function startMaintenance(options: {
  conn: Connection;
  feed: ChangeFeed<ApprovalChange>;
  store: ApprovalStore;
  pending: PendingSet;
  deliveries: DeliveriesRepository;
  expireDue: () => Promise<number>;
  escalateDue: () => Promise<number>;
  clock: Clock;
  logger: Logger;
  expiryIntervalMs: number;
  cleanupIntervalMs: number;
}) {
  const { logger, conn, feed, store, clock } = options;
  const expire = async () => {
    // Escalations first: one due at the same sweep as its expiry is skipped (the expiry applies).
    const escalated = await options.escalateDue();
    if (escalated > 0) logger.info('approvals escalated', { count: escalated });
    const expired = await options.expireDue();
    if (expired > 0) logger.info('approvals expired', { count: expired });
    return expired;
  };

  /** Walks the feed from the saved position up to entries younger than the longest retention. */
  const sweepIdempotency = async () => {
    const now = clock.now();
    const from = (await readMeta(conn, IDEMPOTENCY_SWEEP_KEY)) ?? 0;
    let position = from;
    let removed = 0;
    const oldest: { seq: number; change: ApprovalChange }[] = [];
    for await (const item of feed.readForward(from, SWEEP_STEP)) oldest.push(item);
    for (const { seq, change } of oldest) {
      if (change.kind === 'created') {
        const isPastRetention = new Date(change.createdAt).getTime() + IDEMPOTENCY_RETENTION_MS <= now.getTime();
        // Keyless records expire sooner; they are released on their next use anyway.
        if (!isPastRetention) {
          if (await store.expireIdempotency(change.idempotencyId, now)) removed++;
          break;
        }
        if (await store.expireIdempotency(change.idempotencyId, now)) removed++;
      }
      position = seq;
    }
    if (position > from) await writeMeta(conn, IDEMPOTENCY_SWEEP_KEY, position);
    return removed;
  };

  const cleanup = async () => {
    const now = clock.now();
    await options.pending.load();
    await options.deliveries.sweepDeliveryClaims(new Date(now.getTime() - 24 * 60 * 60 * 1000));
    return sweepIdempotency();
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

import { AppError, notFound } from '../http/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { DeliveriesRepository } from './deliveries.repository.js';
import type { RedeliveredEvent } from './dispatcher.js';

export type CallbacksDeps = {
  repository: DeliveriesRepository;
  clock: Clock;
  /** Wakes the dispatcher so a redelivery goes out at once. */
  nudge: () => void;
  onEvent?: (event: RedeliveredEvent) => void | Promise<void>;
};

export function callbacksService(deps: CallbacksDeps) {
  return {
    /**
     * Sends a decided approval's callback again: a delivered, dead, gone or blocked delivery becomes
     * pending now with a fresh retry schedule and the same `webhook-id` (receivers dedupe on it); a
     * pending one is due now, unless an attempt is in flight (409 callback-in-flight).
     * `accountId` null is the operator's CLI; `actor` names who asked (audit trail).
     */
    async redeliver(accountId: string | null, approvalId: string, actor: string) {
      const result = await deps.repository.redeliver(accountId, approvalId, deps.clock.now());
      switch (result.kind) {
        case 'not-found':
          throw notFound();
        case 'not-decided':
          throw new AppError('unprocessable', 422, 'The approval is not decided yet; its callback is sent when it is');
        case 'no-callback':
          throw new AppError('unprocessable', 422, 'The approval has no callbackUrl');
        case 'in-flight':
          // Nothing is queued behind an attempt in flight (its result is written over the delivery when
          // it ends), so say so instead of a 202 that would do nothing: ask again once it has ended.
          throw new AppError(
            'callback-in-flight',
            409,
            `Attempt ${result.attempt} of this callback is being sent right now; redeliver once it has ended (its outcome shows in the approval's callback)`,
            { headers: { 'Retry-After': '1' }, body: { reason: 'attempt-in-flight', attempt: result.attempt } },
          );
        case 'queued':
          await deps.onEvent?.({
            type: 'callback.redelivered',
            approvalId,
            accountId: result.accountId,
            actor,
            previousState: result.previousState,
            at: deps.clock.now(),
          });
          deps.nudge();
          return result;
      }
    },
  };
}
export type CallbacksService = ReturnType<typeof callbacksService>;

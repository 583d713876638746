import type { Connection } from 'mongoose';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { zendeskConnections } from './connections.js';
import { staffDirectory } from './staff-directory.js';
import type { TicketState } from './effect-requests.js';
import { ZendeskDispatcher, type ZendeskAttemptEvent } from './zendesk-dispatcher.js';
import { zendeskEffects } from './zendesk-effects.js';
import { zendeskOutbox } from './zendesk-outbox.js';

export type ZendeskOptions = {
  conn: Connection;
  clock: Clock;
  logger: Logger;
  /** The gateway's metrics registry (gets `cheqpoint_zendesk_effects_total`). */
  registry: Registry;
  tickets: TicketState;
  intervalMs: number;
  leaseMs: number;
  timeoutMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  onAttempt?: (event: ZendeskAttemptEvent) => void;
};

/** The optional Zendesk connection of the gateway: hooks for the approvals and the dispatcher behind them. */
export function createZendesk(options: ZendeskOptions) {
  const attempts = new Counter({
    name: 'cheqpoint_zendesk_effects_total',
    help: 'Zendesk effect attempts (tag, notification, note) by effect and outcome: done, retry, failed, skipped',
    labelNames: ['effect', 'state'] as const,
    registers: [options.registry],
  });
  const connections = zendeskConnections(options.conn, options.clock);
  const outbox = zendeskOutbox(options.conn);
  const dispatcher = new ZendeskDispatcher({
    outbox,
    connections,
    tickets: options.tickets,
    clock: options.clock,
    logger: options.logger,
    intervalMs: options.intervalMs,
    leaseMs: options.leaseMs,
    timeoutMs: options.timeoutMs,
    scheduleMs: options.scheduleMs,
    ...(options.random ? { random: options.random } : {}),
    onAttempt: (event) => {
      attempts.inc({ effect: event.effect, state: event.state });
      options.onAttempt?.(event);
    },
  });
  const effects = zendeskEffects({ connections, outbox, dispatcher, clock: options.clock, logger: options.logger });
  const staff = staffDirectory(connections, options.clock, options.timeoutMs);
  return { effects, dispatcher, staff, sweepClaims: (before: Date) => outbox.sweepClaims(before) };
}
export type Zendesk = ReturnType<typeof createZendesk>;

import type { Connection } from 'mongoose';
import { Counter, type Registry } from 'prom-client';
import type { CallbackClient } from '../callbacks/safe-client.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { actionConfigs } from './action-configs.js';
import {
  ExecutionDispatcher,
  type ExecutionCrashPoint,
  type ExecutionEvent,
  type ReplySender,
} from './execution-dispatcher.js';
import { newExecution, type ExecutionRecord } from './execution.model.js';
import { executionsRepository, type ExecutionSources } from './executions.repository.js';
import { secretsStore } from './secrets.js';

export type ActionsOptions = {
  conn: Connection;
  sources: ExecutionSources;
  clock: Clock;
  logger: Logger;
  /** The gateway's metrics registry (gets `cheqpoint_executions_total`). */
  registry: Registry;
  client: CallbackClient;
  replies: ReplySender;
  secretsKey: Buffer | null;
  /** How long a `when: late` execution waits for a held call about to answer with the decision. */
  graceMs: number;
  intervalMs: number;
  leaseMs: number;
  scheduleMs: readonly number[];
  random?: () => number;
  crashAt?: ExecutionCrashPoint | null;
  onEvent?: (event: ExecutionEvent) => void | Promise<void>;
  /**
   * An execution changed where the API shows it (an attempt's result recorded, a retry accepted, the
   * reply's outcome), so that every process's held lists of its ticket answer (the gateway appends it to
   * the change feed). Awaited; a failure is logged and changes nothing else.
   */
  onChanged?: (change: ExecutionChange) => void | Promise<void>;
};

/** What changed of an execution, for the held lists (`cause`: what wrote it). */
export type ExecutionChange = {
  approvalId: string;
  accountId: string;
  ticketId: string | null;
  action: string;
  cause: 'attempt' | 'retry' | 'reply';
};

/**
 * Cheqpoint carrying out decided actions (README "Late decisions"): the hooks the approvals call
 * (configuration at intake, the execution written with the decision, the requester race), the
 * dispatcher behind them, and the retry of a failed execution.
 */
export function createActions(options: ActionsOptions) {
  const executions = new Counter({
    name: 'cheqpoint_executions_total',
    help: 'Execution attempts of decided actions by outcome: succeeded, retry, failed, skipped (a requester learned the decision first)',
    labelNames: ['state'] as const,
    registers: [options.registry],
  });
  const configs = actionConfigs(options.conn);
  const repository = executionsRepository(options.conn, options.sources);
  const changed = async (change: ExecutionChange) => {
    try {
      await options.onChanged?.(change);
    } catch (err) {
      // The state is stored: a held list shows it at its own deadline, or the next list read.
      options.logger.warn('execution change not announced', { approvalId: change.approvalId, error: String(err) });
    }
  };
  /** Announces a change written outside an attempt (the approval read by key for its ticket and action). */
  const changedById = async (approvalId: string, cause: ExecutionChange['cause']) => {
    if (!options.onChanged) return;
    const subject = await options.sources.findSubject(approvalId).catch(() => null);
    if (subject)
      await changed({
        approvalId,
        accountId: subject.accountId,
        ticketId: subject.ticketId,
        action: subject.action,
        cause,
      });
  };
  const dispatcher = new ExecutionDispatcher({
    repository,
    secrets: secretsStore(options.conn),
    secretsKey: options.secretsKey,
    client: options.client,
    replies: options.replies,
    clock: options.clock,
    logger: options.logger,
    intervalMs: options.intervalMs,
    leaseMs: options.leaseMs,
    scheduleMs: options.scheduleMs,
    ...(options.random ? { random: options.random } : {}),
    crashAt: options.crashAt ?? null,
    onEvent: async (event) => {
      executions.inc({ state: event.state });
      if (event.action !== null) {
        const { approvalId, accountId, ticketId, action } = event;
        await changed({ approvalId, accountId, ticketId, action, cause: 'attempt' });
      }
      await options.onEvent?.(event);
    },
  });

  return {
    dispatcher,
    hooks: {
      configFor: (accountId: string, action: string) => configs.find(accountId, action),
      newExecution: (...args: [Parameters<typeof newExecution>[0], Parameters<typeof newExecution>[1], Date]) =>
        newExecution(...args, options.graceMs),
      prepare: (approvalId: string, dueAt: Date) => repository.prepare(approvalId, dueAt),
      runAt: (approvalId: string, dueAt: Date) => dispatcher.runAt(approvalId, dueAt),
      requesterLearned: (approvalId: string) => repository.learned(approvalId, 'requester', options.clock.now()),
    },
    /** A failed execution made pending again (the API and the sidebar's Retry). */
    async retry(accountId: string | null, approvalId: string) {
      const result = await repository.retry(accountId, approvalId, options.clock.now());
      if (result.kind === 'queued') {
        dispatcher.nudge();
        // Before the answer: the sidebars of the ticket show it pending again (and the 202 is not ahead of them).
        await changedById(approvalId, 'retry');
      }
      return result;
    },
    /** Zendesk's outcome of a reply (added, failed, skipped), announced to the held lists. */
    async recordReply(approvalId: string, reply: ExecutionRecord['reply']) {
      if (await repository.recordReply(approvalId, reply, options.clock.now())) await changedById(approvalId, 'reply');
    },
    sweepClaims: (before: Date) => repository.sweepClaims(before),
  };
}
export type Actions = ReturnType<typeof createActions>;

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecidedBy, DecisionChannel } from '@cheqpoint/shared';
import type { DecisionDoc } from './approvals/approval.model.js';
import type { AttemptEvent } from './callbacks/dispatcher.js';
import type { LimitKind } from './http/limits.js';

/** Decision latency buckets (seconds): a policy answers at once, a person in minutes to hours. */
const DECISION_BUCKETS = [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25];

/**
 * Prometheus metrics of one gateway, in its own registry (several gateways in one test process never
 * share series). Every series is per process: with several processes, sum them in Prometheus.
 * Labels are bounded: routes are Express route patterns (never raw paths), outcomes and sources are enums.
 */
export function createMetrics(options: { heldWaits: () => number; callbacksInFlight: () => number }) {
  const registry = new Registry();
  const httpRequests = new Counter({
    name: 'cheqpoint_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'cheqpoint_http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status (held waits included)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const approvalsCreated = new Counter({
    name: 'cheqpoint_approvals_created_total',
    help: 'Approvals created (a replayed or deduplicated request creates none)',
    registers: [registry],
  });
  const approvalsDecided = new Counter({
    name: 'cheqpoint_approvals_decided_total',
    help: 'Approvals decided by this process, by outcome (approved, rejected) and source (agent, policy, expiry)',
    labelNames: ['outcome', 'source'] as const,
    registers: [registry],
  });
  const decisionLatency = new Histogram({
    name: 'cheqpoint_decision_latency_seconds',
    help: 'Time from an approval being created to its decision, by source (agent, policy, expiry)',
    labelNames: ['source'] as const,
    buckets: DECISION_BUCKETS,
    registers: [registry],
  });
  const timeToDecision = new Histogram({
    name: 'cheqpoint_time_to_decision_seconds',
    help: 'Seconds from intake to decision, by channel: sidebar, queue (the Zendesk app), slack, api (other callers), policy, expiry',
    labelNames: ['channel'] as const,
    buckets: DECISION_BUCKETS,
    registers: [registry],
  });
  const decidedWhileWaiting = new Counter({
    name: 'cheqpoint_decided_while_waiting_total',
    help: "Decisions that answered the requester's held call (?wait=) while it was still waiting, by channel",
    labelNames: ['channel'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'cheqpoint_held_waits',
    help: 'Calls held open right now waiting for a decision',
    registers: [registry],
    collect() {
      this.set(options.heldWaits());
    },
  });
  new Gauge({
    name: 'cheqpoint_callbacks_in_flight',
    help: 'Callback attempts this process is sending right now',
    registers: [registry],
    collect() {
      this.set(options.callbacksInFlight());
    },
  });
  const callbackAttempts = new Counter({
    name: 'cheqpoint_callback_attempts_total',
    help: 'Callback attempts recorded, by the state they left the delivery in (delivered, pending = retry scheduled, dead, gone, blocked)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const callbackFailures = new Counter({
    name: 'cheqpoint_callback_failures_total',
    help: 'Callback attempts that did not deliver (any non-2xx, timeout, connection or address error)',
    registers: [registry],
  });
  const callbackDeadLetters = new Counter({
    name: 'cheqpoint_callback_dead_letters_total',
    help: 'Callbacks given up on, by final state: dead (retries used up), gone (410) or blocked (address refused)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'cheqpoint_rate_limited_total',
    help: 'Requests refused with 429, by limit: key (per-key rate) or bad-key (address presenting invalid keys)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });

  return {
    registry,
    /** Node.js process metrics (CPU, memory, event loop lag, GC) with the cheqpoint_ prefix; call once per process. */
    collectProcessMetrics() {
      collectDefaultMetrics({ register: registry, prefix: 'cheqpoint_' });
    },
    observeRequest(method: string, route: string, status: number, seconds: number) {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    approvalCreated() {
      approvalsCreated.inc();
    },
    approvalDecided(decision: DecisionDoc, createdAt: Date) {
      const source = decision.decidedBy.type;
      const seconds = Math.max(0, (decision.decidedAt.getTime() - createdAt.getTime()) / 1000);
      approvalsDecided.inc({ outcome: decision.outcome, source });
      decisionLatency.observe({ source }, seconds);
      timeToDecision.observe({ channel: decisionChannelOf(decision.decidedBy) }, seconds);
    },
    /** A held call (`?wait=`) answered with a decision made while it waited (counted by the process holding it). */
    decidedWhileWaiting(decidedBy: DecidedBy) {
      decidedWhileWaiting.inc({ channel: decisionChannelOf(decidedBy) });
    },
    callbackAttempted(event: AttemptEvent) {
      callbackAttempts.inc({ state: event.state });
      if (event.state !== 'delivered') callbackFailures.inc();
      if (event.state === 'dead' || event.state === 'gone' || event.state === 'blocked') {
        callbackDeadLetters.inc({ state: event.state });
      }
    },
    rateLimited(kind: LimitKind) {
      rateLimited.inc({ limit: kind });
    },
  };
}
export type GatewayMetrics = ReturnType<typeof createMetrics>;

/** The channel label of a decision: where a person decided (absent: `api`), or the policy or the expiry. */
export function decisionChannelOf(by: DecidedBy): DecisionChannel | 'policy' | 'expiry' {
  switch (by.type) {
    case 'agent':
      return by.channel ?? 'api';
    case 'policy':
      return 'policy';
    case 'expiry':
      return 'expiry';
  }
}

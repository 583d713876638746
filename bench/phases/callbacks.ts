import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { accountsService } from '../../server/src/accounts/accounts.service.js';
import { approvalModels, type DecisionDoc } from '../../server/src/approvals/approval.model.js';
import { connectDatabase } from '../../server/src/db/connection.js';
import { startGatewayProcess } from '../lib/context.js';
import { request } from '../lib/http.js';
import { cpuSecondsOf } from '../lib/procs.js';
import { approvalDoc, decisionDoc } from '../lib/seed.js';
import { round, sampleBounded } from '../lib/stats.js';

export type CallbackResult = {
  usable: boolean;
  note: string | null;
  deliveries: number;
  /** Deliveries answered 2xx per second, from the decisions' insert to the last first-time 2xx. */
  deliveredPerS: number;
  /** Attempts (every POST the receiver got) per second over the same span. */
  attemptsPerS: number;
  attempts: number;
  delivered: number;
  failedAnswers: number;
  /** 2xx answered more than once for one webhook-id. */
  duplicates: number;
  spanS: number;
  /** Delivery states in the database at the end, and deliveries still holding a lease then. */
  states: Record<string, number>;
  stuckLeases: number;
  /** Baseline: bare POSTs of the same body to the same receiver, with the dispatcher's concurrency. */
  barePostsPerS: number;
  bareConcurrency: number;
  dispatchIntervalMs: number;
  retrySchedule: string;
  /** CPU seconds the dispatching gateway process used from the decisions' insert to the end. */
  gatewayCpuS: number;
};

/** Local receiver: every 10th answer is HTTP 500 (so 10 % of answers fail, deterministically). */
async function startFailingReceiver() {
  let count = 0;
  let lastBody = '';
  const deliveredIds = new Map<string, number>();
  let lastDeliveryAt = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      lastBody = Buffer.concat(chunks).toString('utf8');
      if (count % 10 === 0) {
        res.writeHead(500).end('planned failure');
        return;
      }
      const id = String(req.headers['webhook-id'] ?? '');
      if (id) {
        deliveredIds.set(id, (deliveredIds.get(id) ?? 0) + 1);
        lastDeliveryAt = performance.now();
      }
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: () => count,
    lastBody: () => lastBody,
    deliveredIds,
    lastDeliveryAt: () => lastDeliveryAt,
    reset: () => {
      count = 0;
      deliveredIds.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Callback dispatch: `deliveries` decided approvals with a callbackUrl on a local receiver that fails
 * 10 % of answers. A dedicated gateway process (development mode: the allowlist lets it reach
 * 127.0.0.1) on its own database; the decisions are inserted directly (the outbox rows the gateway
 * writes with each decision), so this measures the dispatcher alone.
 */
export async function callbacksPhase(
  uri: string,
  options: { deliveries: number; timeS: number; log: (line: string) => void },
): Promise<CallbackResult> {
  const receiver = await startFailingReceiver();
  const dispatchIntervalMs = 100;
  const retrySchedule = '200ms,400ms,800ms,1s,2s,2s,2s,2s,2s';
  const conn = await connectDatabase(uri);
  const gateway = await startGatewayProcess('gateway-callbacks', uri, {
    NODE_ENV: 'development',
    CHEQPOINT_CALLBACK_ALLOWLIST: `127.0.0.1:${receiver.port}`,
    CHEQPOINT_DISPATCH_INTERVAL_MS: String(dispatchIntervalMs),
    CHEQPOINT_CALLBACK_RETRY_SCHEDULE: retrySchedule,
    CHEQPOINT_CALLBACK_TIMEOUT_MS: '5000',
  });
  const empty = {
    deliveries: options.deliveries,
    deliveredPerS: NaN,
    attemptsPerS: NaN,
    attempts: 0,
    delivered: 0,
    failedAnswers: 0,
    duplicates: 0,
    spanS: NaN,
    states: {},
    stuckLeases: 0,
    barePostsPerS: NaN,
    bareConcurrency: 8,
    dispatchIntervalMs,
    retrySchedule,
    gatewayCpuS: NaN,
  };
  try {
    const account = await accountsService(conn).createAccount('bench-callbacks');
    const { Approval, Decision } = approvalModels(conn);
    const callbackUrl = `http://127.0.0.1:${receiver.port}/callback`;
    const approvals = Array.from({ length: options.deliveries }, (_, i) =>
      approvalDoc(account.accountId, { ticketId: String(i % 100), status: 'approved', callbackUrl, n: i }),
    );
    await Approval.collection.insertMany(approvals as never[], { ordered: false });
    options.log(`callbacks: ${options.deliveries} deliveries due now; receiver fails every 10th answer`);
    const started = performance.now();
    const cpuBefore = cpuSecondsOf(gateway.proc.pid);
    await Decision.collection.insertMany(approvals.map((a) => decisionDoc(a)) as never[], { ordered: false });

    const deadline = started + options.timeS * 1000;
    while (receiver.deliveredIds.size < options.deliveries && performance.now() < deadline) {
      await sleep(100);
      if (receiver.count() === 0 && performance.now() - started > 15_000) break;
    }
    const attempts = receiver.count();
    const delivered = receiver.deliveredIds.size;
    if (attempts === 0) {
      return {
        ...empty,
        usable: false,
        note: 'the receiver got no callback within 15 s: the dispatcher is not delivering',
      };
    }
    const spanS = ((delivered === options.deliveries ? receiver.lastDeliveryAt() : performance.now()) - started) / 1000;
    await sleep(300);
    const docs = await Decision.find({}, { delivery: 1 }).lean<Pick<DecisionDoc, 'delivery'>[]>();
    const states: Record<string, number> = {};
    let stuckLeases = 0;
    for (const d of docs) {
      states[d.delivery.state] = (states[d.delivery.state] ?? 0) + 1;
      if (d.delivery.leaseOwner) stuckLeases++;
    }
    const duplicates = [...receiver.deliveredIds.values()].filter((c) => c > 1).length;
    const gatewayCpuS = round(cpuSecondsOf(gateway.proc.pid) - cpuBefore, 1);

    // Baseline: the same body POSTed bare to the same receiver, 8 at a time (the dispatcher's concurrency).
    await gateway.proc.stop();
    const body = receiver.lastBody();
    receiver.reset();
    const bare = await sampleBounded({ count: options.deliveries, timeMs: 20_000, concurrency: 8 }, async (i) => {
      const res = await request(`${callbackUrl}`, {
        method: 'POST',
        headers: { 'webhook-id': `bare_${i}` },
        body: JSON.parse(body) as unknown,
      });
      return res.status;
    });
    const barePostsPerS = bare.results.length / (bare.elapsedMs / 1000);

    return {
      usable: delivered > 0,
      note: delivered < options.deliveries ? `only ${delivered} of ${options.deliveries} delivered in time` : null,
      deliveries: options.deliveries,
      deliveredPerS: round(delivered / spanS, 1),
      attemptsPerS: round(attempts / spanS, 1),
      attempts,
      delivered,
      failedAnswers: Math.floor(attempts / 10),
      duplicates,
      spanS: round(spanS, 2),
      states,
      stuckLeases,
      barePostsPerS: round(barePostsPerS, 1),
      bareConcurrency: 8,
      dispatchIntervalMs,
      retrySchedule,
      gatewayCpuS,
    };
  } finally {
    await gateway.proc.stop();
    await conn.dropDatabase().catch(() => {});
    await conn.close();
    await receiver.close();
  }
}

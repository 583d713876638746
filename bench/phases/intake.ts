import type { Request } from 'autocannon';
import type { BenchContext } from '../lib/context.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { collectionSizes } from '../lib/seed.js';

export type PairResult = { gateway: LoadResult; baseline: LoadResult };
export type IntakeResult = {
  saturated: PairResult;
  fixedRate: PairResult;
  approvalsBefore: number;
  approvalsAfter: number;
};

let counter = 0;
/** A valid inbound request whose details are unique (never deduplicated). */
const uniqueBody = () =>
  JSON.stringify({
    action: 'refund',
    summary: 'Refund order for a damaged item',
    details: { ticket_id: String(1000 + (counter % 200)), order: `o-${process.pid}-${counter++}`, amount: 25 },
    justification: 'Customer asked for a refund after the item arrived broken.',
  });

/**
 * Intake without waiting: `POST /api/webhooks/inbound?wait=0` with unique bodies, against a bare
 * Express + mongoose handler doing one insert into the same database. Saturated (throughput, p50/p99),
 * then at a fixed rate (p99).
 */
export async function intakePhase(ctx: BenchContext): Promise<IntakeResult> {
  const { settings } = ctx;
  const approvalsBefore = (await collectionSizes(ctx.conn)).approvals;
  const gatewayRequest: Request = {
    method: 'POST',
    path: '/api/webhooks/inbound?wait=0',
    headers: { 'content-type': 'application/json', 'x-api-key': ctx.account.flowKey },
    setupRequest: (req: object) => ({ ...req, body: uniqueBody() }),
  };
  const baselineRequest: Request = {
    method: 'POST',
    path: '/insert',
    headers: { 'content-type': 'application/json' },
    setupRequest: (req: object) => ({ ...req, body: uniqueBody() }),
  };
  const run = (url: string, request: Request, durationS: number, overallRate?: number) =>
    runLoad({
      url,
      requests: [request],
      connections: settings.connections,
      durationS,
      ...(overallRate ? { overallRate } : {}),
    });

  ctx.log(`intake: warm-up ${settings.warmupS} s each`);
  await run(ctx.gateway.url, gatewayRequest, settings.warmupS);
  await run(ctx.baseline.url, baselineRequest, settings.warmupS);
  ctx.log(`intake: saturated, ${settings.connections} connections, ${settings.loadS} s each`);
  const saturated = {
    gateway: await run(ctx.gateway.url, gatewayRequest, settings.loadS),
    baseline: await run(ctx.baseline.url, baselineRequest, settings.loadS),
  };
  ctx.log(`intake: fixed rate ${settings.rate} req/s, ${settings.rateS} s each`);
  const fixedRate = {
    gateway: await run(ctx.gateway.url, gatewayRequest, settings.rateS, settings.rate),
    baseline: await run(ctx.baseline.url, baselineRequest, settings.rateS, settings.rate),
  };
  const approvalsAfter = (await collectionSizes(ctx.conn)).approvals;
  return { saturated, fixedRate, approvalsBefore, approvalsAfter };
}

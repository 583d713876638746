import type { BenchContext } from '../lib/context.js';
import { runLoad } from '../lib/load.js';
import { collectionSizes } from '../lib/seed.js';
import type { PairResult } from './intake.js';

export type StatusResult = {
  saturated: PairResult;
  fixedRate: PairResult;
  approvalsStored: number;
  decisionsStored: number;
  idsRead: number;
};

/**
 * `GET /api/approvals/{id}` (flow key, no wait) over `ids`, against a bare handler doing one
 * findById on the same collection.
 */
export async function statusPhase(ctx: BenchContext, ids: string[]): Promise<StatusResult> {
  const { settings } = ctx;
  const sizes = await collectionSizes(ctx.conn);
  const cycling = (prefix: string) => {
    let i = 0;
    return (req: object) => ({ ...req, path: `${prefix}${ids[i++ % ids.length]}` });
  };
  const gatewayRequest = () => ({
    method: 'GET',
    headers: { 'x-api-key': ctx.account.flowKey },
    setupRequest: cycling('/api/approvals/'),
  });
  const baselineRequest = () => ({ method: 'GET', setupRequest: cycling('/approvals/') });
  const run = (url: string, request: object, durationS: number, overallRate?: number) =>
    runLoad({
      url,
      requests: [request],
      connections: settings.connections,
      durationS,
      ...(overallRate ? { overallRate } : {}),
    });

  ctx.log(`status: warm-up ${settings.warmupS} s each (${sizes.approvals} approvals stored)`);
  await run(ctx.gateway.url, gatewayRequest(), settings.warmupS);
  await run(ctx.baseline.url, baselineRequest(), settings.warmupS);
  ctx.log(`status: saturated, ${settings.connections} connections, ${settings.loadS} s each`);
  const saturated = {
    gateway: await run(ctx.gateway.url, gatewayRequest(), settings.loadS),
    baseline: await run(ctx.baseline.url, baselineRequest(), settings.loadS),
  };
  ctx.log(`status: fixed rate ${settings.rate} req/s, ${settings.rateS} s each`);
  const fixedRate = {
    gateway: await run(ctx.gateway.url, gatewayRequest(), settings.rateS, settings.rate),
    baseline: await run(ctx.baseline.url, baselineRequest(), settings.rateS, settings.rate),
  };
  return {
    saturated,
    fixedRate,
    approvalsStored: sizes.approvals,
    decisionsStored: sizes.decisions,
    idsRead: ids.length,
  };
}

import type { Request } from 'autocannon';
import type { BenchContext } from '../lib/context.js';
import { runLoad, type LoadResult } from '../lib/load.js';

let counter = 0;
/** A valid inbound request whose details are unique (never deduplicated), over 200 tickets. */
const uniqueBody = () =>
  JSON.stringify({
    action: 'refund',
    summary: 'Refund order for a damaged item',
    details: { ticket_id: `in${counter % 200}`, order: `o-${process.pid}-${counter++}`, amount: 25 },
    justification: 'Customer asked for a refund after the item arrived broken.',
  });

/**
 * Intake without waiting: `POST /api/webhooks/inbound?wait=0` (flow key, unique details) on gateway A,
 * or the bare baseline's `POST /insert` (one insertOne of an approval-shaped document), saturated with
 * `intakeConnections` connections or at a fixed `intakeRate` req/s (autocannon overallRate).
 */
export async function intakeRun(
  ctx: BenchContext,
  target: 'gateway' | 'baseline',
  mode: 'saturated' | 'rate',
): Promise<LoadResult & { warmupOk?: number }> {
  const { settings } = ctx;
  const server = target === 'gateway' ? ctx.gatewayA! : ctx.baseline!;
  const req: Request =
    target === 'gateway'
      ? {
          method: 'POST',
          path: '/api/webhooks/inbound?wait=0',
          headers: { 'content-type': 'application/json', 'x-api-key': ctx.account.flowKey },
          setupRequest: (r: object) => ({ ...r, body: uniqueBody() }),
        }
      : {
          method: 'POST',
          path: '/insert',
          headers: { 'content-type': 'application/json' },
          setupRequest: (r: object) => ({ ...r, body: uniqueBody() }),
        };
  const run = (durationS: number, overallRate?: number) =>
    runLoad({
      url: server.url,
      requests: [req],
      connections: settings.intakeConnections,
      durationS,
      ...(overallRate ? { overallRate } : {}),
    });
  if (mode === 'rate') return run(settings.intakeRateS, settings.intakeRate);
  const warmup = await run(settings.intakeWarmupS);
  return { ...(await run(settings.intakeLoadS)), warmupOk: warmup.ok };
}

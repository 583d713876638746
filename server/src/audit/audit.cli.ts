import { parseArgs } from 'node:util';
import type { CliContext } from '../policies/policies.cli.js';
import { exportEvents, verifyStoredChains, type StoredChainCheck } from './audit.service.js';

export const AUDIT_USAGE = `  audit export --from <iso> --to <iso> [--account <id>]
                                     audit events with from <= at < to, as JSON Lines
  audit verify [--approval <id>] [--account <id>] [--json]
                                     check the hash chains; exits 1 if any is broken`;

function parseInstant(value: string | undefined, flag: string, ctx: CliContext): Date {
  if (!value) throw ctx.usageError(`audit export needs --${flag} <ISO 8601 date or time>`);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw ctx.usageError(`--${flag} must be an ISO 8601 date or time, e.g. 2026-05-01 or 2026-05-01T12:00:00Z`);
  }
  return date;
}

/** `audit export|verify …` (arguments after the word `audit`). */
export async function auditCli(argv: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      account: { type: 'string' },
      approval: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw ctx.usageError(`Unexpected argument: ${rest.join(' ')}`);

  if (command === 'export') {
    const from = parseInstant(values.from, 'from', ctx);
    const to = parseInstant(values.to, 'to', ctx);
    if (from >= to) throw ctx.usageError('--from must be before --to');
    await ctx.withDatabase(async (conn) => {
      const range = { from, to, ...(values.account ? { accountId: values.account } : {}) };
      for await (const event of exportEvents(conn, range)) ctx.write(`${JSON.stringify(event)}\n`);
    });
    return;
  }
  if (command === 'verify') {
    const scope = {
      ...(values.account ? { accountId: values.account } : {}),
      ...(values.approval ? { approvalId: values.approval } : {}),
    };
    const summary = await ctx.withDatabase(async (conn) => {
      let chains = 0;
      let events = 0;
      const broken: StoredChainCheck[] = [];
      for await (const check of verifyStoredChains(conn, scope)) {
        chains++;
        events += check.count;
        if (!check.ok) {
          broken.push(check);
          if (!values.json) {
            ctx.write(
              `BROKEN ${check.approvalId} (account ${check.accountId}) at event ${check.brokenAt}: ${check.reason}\n`,
            );
          }
        }
      }
      return { chains, events, broken };
    });
    if (values.json) ctx.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (summary.broken.length === 0) {
      ctx.write(`Verified ${summary.chains} audit chains (${summary.events} events): all intact.\n`);
    }
    if (summary.chains === 0 && values.approval) throw new Error(`No audit events for approval ${values.approval}`);
    if (summary.broken.length > 0) {
      throw new Error(`${summary.broken.length} of ${summary.chains} audit chains are broken`);
    }
    return;
  }
  throw ctx.usageError(`Unknown command: audit ${command ?? ''}`.trim());
}

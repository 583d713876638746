import { parseArgs } from 'node:util';
import { accountsService } from '../accounts/accounts.service.js';
import type { CliContext } from '../policies/policies.cli.js';
import { policiesRepository } from '../policies/policies.repository.js';
import { SETUP_PRODUCTS, setupGuide, type SetupGuide, type SetupProduct } from './setup-guide.js';

export const SETUP_GUIDE_USAGE = `  zendesk setup-guide <accountId> --product advanced|messaging|webhook [--public-url <url>] [--json]
                                     what to type into Zendesk for that product: URL (from
                                     --public-url or CHEQPOINT_PUBLIC_URL) with its wait, header,
                                     method, a body per policy action, the response fields and
                                     branches; never a key (it says which one to paste)`;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The gateway's public URL as Zendesk reaches it: https (plain http only on loopback, for trying it locally). */
function publicUrlOf(raw: string | undefined, ctx: CliContext): string {
  if (!raw) {
    throw ctx.usageError(
      'zendesk setup-guide needs the gateway URL Zendesk calls: --public-url https://cheqpoint.example.com, or CHEQPOINT_PUBLIC_URL',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw ctx.usageError(`--public-url "${raw}" is not a URL (e.g. https://cheqpoint.example.com)`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw ctx.usageError('--public-url must be https: Zendesk calls only https URLs');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw ctx.usageError('--public-url takes no credentials, query or fragment');
  }
  return url.href;
}

function describeGuide(guide: SetupGuide): string {
  const lines = [
    `Zendesk setup of ${guide.accountId} for ${guide.productName}`,
    `  Zendesk waits ${guide.zendeskTimeoutSeconds} s for the answer; the gateway answers within ${guide.waitSeconds} s (pending if nobody decided by then).`,
    '',
    'Request',
    `  method:        ${guide.request.method}`,
    `  URL:           ${guide.request.url}`,
    `  content type:  ${guide.request.contentType}`,
    `  header:        ${guide.request.auth.header}: <${guide.request.auth.value}>`,
    `  flow keys:     ${guide.request.auth.flowKeys.map((k) => `${k.keyId} (…${k.last4})`).join(', ') || 'none in use: key create --account <id> --scope flow'}`,
    '',
    'Steps',
    ...guide.steps.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    'Body',
    ...guide.bodies.flatMap(({ action, rule, body }) => [
      `  ${action}${rule ? ` (policy rule ${rule})` : ' (example: the account’s policy names no action)'}:`,
      ...JSON.stringify(body, null, 2)
        .split('\n')
        .map((l) => `    ${l}`),
    ]),
  ];
  if (guide.responseFields.length > 0) {
    lines.push('', 'Response fields to save');
    for (const f of guide.responseFields) lines.push(`  ${f.field.padEnd(16)} ${f.meaning}`);
  }
  lines.push('', 'Branches');
  for (const b of guide.branches) {
    lines.push(`  - ${b.when}: ${b.then}`);
    if (b.customerHears) lines.push(`    the customer hears: “${b.customerHears}”`);
  }
  lines.push('', `Late decisions: ${guide.lateDecision}.`, '', 'Not tried against a real Zendesk here:');
  for (const u of guide.unverified) lines.push(`  - ${u}`);
  return `${lines.join('\n')}\n`;
}

/** `zendesk setup-guide <accountId> --product …`. */
export async function setupGuideCli(argv: string[], ctx: CliContext) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      product: { type: 'string' },
      'public-url': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [accountId] = positionals;
  if (!accountId) throw ctx.usageError('zendesk setup-guide needs an account id (see account list)');
  const product = values.product as SetupProduct | undefined;
  if (!product || !SETUP_PRODUCTS.includes(product)) {
    throw ctx.usageError(`zendesk setup-guide needs --product ${SETUP_PRODUCTS.join('|')}`);
  }
  const publicUrl = publicUrlOf(values['public-url'] ?? process.env['CHEQPOINT_PUBLIC_URL'], ctx);
  const guide = await ctx.withDatabase(async (conn) => {
    const accounts = accountsService(conn);
    const account = await accounts.getAccount(accountId);
    if (!account) throw ctx.usageError(`No account ${accountId}`);
    const listed = (await accounts.listAccounts()).find((a) => a.accountId === accountId);
    const flowKeys = (listed?.keys ?? [])
      .filter((k) => k.scope === 'flow' && k.revokedAt === null)
      .map((k) => ({ keyId: k.keyId, last4: k.last4 }));
    const stored = await policiesRepository(conn).getPolicy(accountId);
    return setupGuide(
      {
        accountId,
        defaultWaitSeconds: account.defaultWaitSeconds,
        flowKeys,
        policy: stored?.policy ?? null,
        requiresWebhookSignature: Boolean(account.zendeskWebhookSecret),
      },
      product,
      publicUrl,
    );
  });
  ctx.write(values.json ? `${JSON.stringify(guide, null, 2)}\n` : describeGuide(guide));
}

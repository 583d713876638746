import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { accountsService } from '../accounts/accounts.service.js';
import type { CliContext } from '../policies/policies.cli.js';
import { VerificationError, zendeskVerifications, type VerificationView } from './verifications.js';

export const VERIFY_USAGE = `  zendesk verify <accountId> --public-key-file <app_public_key.pem> --installation-id <id>
          [--subdomain <name>] [--json]
                                     attribute the account's decisions only to Zendesk-verified agents
                                     (signed URLs of that app installation; see README)
  zendesk verify <accountId> --off [--installation-id <id>]
                                     stop (for one installation, or all): decisions are unverified again
  zendesk verify <accountId> --show [--json]  the installations the account trusts`;

function describe(views: VerificationView[], accountId: string): string {
  if (views.length === 0)
    return `Account ${accountId} does not verify approvers (decisions are labelled unverified).\n`;
  const lines = [`Account ${accountId} attributes decisions only to Zendesk-verified agents of:`];
  for (const v of views) {
    lines.push(`  installation ${v.installationId}${v.subdomain ? ` on ${v.subdomain}.zendesk.com` : ''}`);
    lines.push(`    public key sha256: ${v.publicKeySha256}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `zendesk verify`: which app installations' signed URLs identify the account's deciding agents. */
export async function verifyCli(argv: string[], ctx: CliContext) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'public-key-file': { type: 'string' },
      'installation-id': { type: 'string' },
      subdomain: { type: 'string' },
      off: { type: 'boolean', default: false },
      show: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [accountId] = positionals;
  if (!accountId) throw ctx.usageError('zendesk verify needs an account id (see account list)');
  const installationId = values['installation-id'];

  if (values.show) {
    const views = await ctx.withDatabase((conn) => zendeskVerifications(conn).show(accountId));
    ctx.write(values.json ? `${JSON.stringify(views, null, 2)}\n` : describe(views, accountId));
    return;
  }
  if (values.off) {
    const removed = await ctx.withDatabase((conn) => zendeskVerifications(conn).disable(accountId, installationId));
    if (removed === 0) throw ctx.usageError(`Account ${accountId} trusts no such installation`);
    ctx.write(
      values.json
        ? `${JSON.stringify({ accountId, removed })}\n`
        : `Account ${accountId} trusts ${removed} installation(s) fewer; a running gateway applies it within 5 seconds.\n`,
    );
    return;
  }
  const file = values['public-key-file'];
  if (!file) throw ctx.usageError('zendesk verify needs --public-key-file (GET /api/v2/apps/{app_id}/public_key.pem)');
  if (!installationId) throw ctx.usageError('zendesk verify needs --installation-id (the app installation id)');
  let publicKeyPem: string;
  try {
    publicKeyPem = await readFile(file, 'utf8');
  } catch {
    throw ctx.usageError(`Cannot read ${file}`);
  }
  const view = await ctx.withDatabase(async (conn) => {
    if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
    try {
      return await zendeskVerifications(conn).configure(accountId, {
        publicKeyPem,
        installationId,
        subdomain: values.subdomain ?? null,
      });
    } catch (err) {
      if (err instanceof VerificationError) throw ctx.usageError(err.message);
      throw err;
    }
  });
  ctx.write(
    values.json
      ? `${JSON.stringify(view, null, 2)}\n`
      : `${describe([view], accountId)}A running gateway applies it within 5 seconds; sessions minted before are void.\n`,
  );
}

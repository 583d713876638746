import { parseArgs } from 'node:util';
import type { Connection } from 'mongoose';
import { AuditTrail } from '../audit/audit-trail.js';
import { deliverySources } from '../approvals/delivery-sources.js';
import { ACCOUNT_ENV_NAMES, accountEnvLines } from '../accounts/account-env.js';
import { accountsService } from '../accounts/accounts.service.js';
import { KEY_SCOPES, type KeyScope } from '../accounts/api-key.js';
import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connection.js';
import { EmbeddedDatabaseError, openEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded-ferretdb.js';
import { ensureIndexes } from '../indexes.js';
import { silentLogger } from '../lib/logger.js';
import { AUDIT_USAGE, auditCli } from '../audit/audit.cli.js';
import { POLICY_USAGE, policyCli, type CliContext } from '../policies/policies.cli.js';
import { deliveriesRepository } from '../callbacks/deliveries.repository.js';
import { DEFAULT_ROTATION_OVERLAP_HOURS, rotateSigningSecret } from '../callbacks/signing-secrets.js';
import { SecretsKeyError } from '../actions/secrets-key.js';
import { ACTION_USAGE, actionCli, SECRET_USAGE, secretCli } from '../actions/actions.cli.js';
import { SLACK_USAGE, slackCli } from '../slack/slack.cli.js';
import { ZENDESK_USAGE, zendeskCli } from '../zendesk/zendesk.cli.js';

const USAGE = `Usage: npm run cheqpoint -- <command>

  account create <name> [--json|--env]
                                     create an account; prints its flow key, agent key and
                                     signing secret once (--env: as export lines, on stdout
                                     only, for eval "$(npm run -s cheqpoint -- account create acme --env)")
  account list [--json]              accounts and their keys (never the keys themselves)
  account set-zendesk-secret <accountId> <secret>
                                     require Zendesk webhook signatures on inbound calls
                                     (the webhook's signing secret from Admin Center)
  account clear-zendesk-secret <accountId>
  key create --account <id> --scope flow|agent [--json]
                                     add a key to an account (printed once)
  key revoke <keyId>                 revoke a key; it fails on its next request
${POLICY_USAGE}
${AUDIT_USAGE}
${ZENDESK_USAGE}
${SLACK_USAGE}
${ACTION_USAGE}
${SECRET_USAGE}
  account rotate-secret <accountId> [--overlap-hours N] [--json]
                                     new callback signing secret (printed once); the old one
                                     keeps signing too for N hours (default 24), then stops
  callback redeliver <approvalId> [--json]
                                     send a decided approval's callback again (same webhook-id)

Uses MONGODB_URI, or the embedded FerretDB (started for the command if the gateway is not running).
Tip: npm run -s cheqpoint -- account create acme --json | jq   (-s hides npm's banner)`;

class UsageError extends Error {}

async function withDatabase<T>(run: (conn: Connection) => Promise<T>): Promise<T> {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | null = null;
  let uri = config.MONGODB_URI;
  if (!uri) {
    embedded = await openEmbeddedDatabase({
      toolsDir: config.CHEQPOINT_TOOLS_DIR,
      dataDir: config.CHEQPOINT_DATA_DIR,
      port: config.CHEQPOINT_EMBEDDED_DB_PORT,
    });
    uri = `${embedded.uri}cheqpoint`;
  }
  const conn = await connectDatabase(uri);
  try {
    await ensureIndexes(conn);
    return await run(conn);
  } finally {
    await conn.close();
    if (embedded?.isOwned) await embedded.stop();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function main(argv: string[]) {
  const [first, ...rest] = argv;
  if (
    (first === 'policy' ||
      first === 'audit' ||
      first === 'zendesk' ||
      first === 'slack' ||
      first === 'action' ||
      first === 'secret') &&
    !rest.some((a) => a === '--help' || a === '-h')
  ) {
    const ctx: CliContext = {
      withDatabase,
      usageError: (message) => new UsageError(message),
      write: (text) => void process.stdout.write(text),
    };
    if (first === 'zendesk') return zendeskCli(rest, ctx);
    if (first === 'slack') return slackCli(rest, ctx);
    if (first === 'action') return actionCli(rest, ctx);
    if (first === 'secret') return secretCli(rest, ctx);
    return first === 'policy' ? policyCli(rest, ctx) : auditCli(rest, ctx);
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      env: { type: 'boolean', default: false },
      account: { type: 'string' },
      scope: { type: 'string' },
      'overlap-hours': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [group, command, arg] = positionals;
  if (values.help || !group) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  if (group === 'account' && command === 'create') {
    const name = arg?.trim();
    if (!name) throw new UsageError('account create needs a name, e.g. account create acme');
    if (values.json && values.env) throw new UsageError('account create takes --json or --env, not both');
    const created = await withDatabase((conn) => accountsService(conn).createAccount(name));
    if (values.json) print(created);
    else if (values.env) {
      process.stdout.write(accountEnvLines(created));
      process.stderr.write(
        `Account ${created.accountId} (${name}) created: ${ACCOUNT_ENV_NAMES.slice(0, -1).join(', ')} and ${ACCOUNT_ENV_NAMES.at(-1)} are on stdout only, shown once.\n`,
      );
    } else {
      process.stdout.write(
        [
          `Account ${created.accountId} (${name}) created. These are shown only once; store them now.`,
          `  flow key (x-api-key for the Zendesk AI agent flow): ${created.flowKey}`,
          `  agent key (secure setting of the Zendesk app):     ${created.agentKey}`,
          `  signing secret (verifies callbacks):               ${created.signingSecret}`,
          '',
        ].join('\n'),
      );
    }
    return;
  }
  if (group === 'account' && command === 'list') {
    const accounts = await withDatabase((conn) => accountsService(conn).listAccounts());
    if (values.json) print(accounts);
    else {
      for (const a of accounts) {
        process.stdout.write(`${a.accountId}  ${a.name}  created ${a.createdAt}\n`);
        for (const k of a.keys) {
          process.stdout.write(
            `    ${k.keyId}  ${k.scope.padEnd(5)}  …${k.last4}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}\n`,
          );
        }
      }
      if (accounts.length === 0) process.stdout.write('No accounts yet: npm run cheqpoint -- account create <name>\n');
    }
    return;
  }
  if (group === 'account' && (command === 'set-zendesk-secret' || command === 'clear-zendesk-secret')) {
    const secret = command === 'set-zendesk-secret' ? positionals[3] : null;
    if (!arg || (command === 'set-zendesk-secret' && !secret)) {
      throw new UsageError(
        `account ${command} needs <accountId>${command === 'set-zendesk-secret' ? ' <secret>' : ''}`,
      );
    }
    const isDone = await withDatabase((conn) => accountsService(conn).setZendeskWebhookSecret(arg, secret ?? null));
    if (!isDone) throw new UsageError(`No account ${arg}`);
    process.stdout.write(
      secret
        ? `Inbound calls to ${arg} must now carry a valid X-Zendesk-Webhook-Signature.\n`
        : `Zendesk webhook signatures are no longer required for ${arg}.\n`,
    );
    return;
  }
  if (group === 'key' && command === 'create') {
    const accountId = values.account;
    const scope = values.scope as KeyScope | undefined;
    if (!accountId) throw new UsageError('key create needs --account <accountId>');
    if (!scope || !KEY_SCOPES.includes(scope)) throw new UsageError('key create needs --scope flow or --scope agent');
    const created = await withDatabase((conn) => accountsService(conn).createKey(accountId, scope));
    if (!created) throw new UsageError(`No account ${accountId}`);
    if (values.json) print({ keyId: created.keyId, scope: created.scope, key: created.key });
    else process.stdout.write(`Key ${created.keyId} (${scope}) created; shown only once:\n  ${created.key}\n`);
    return;
  }
  if (group === 'key' && command === 'revoke') {
    if (!arg) throw new UsageError('key revoke needs a key id (see account list)');
    const isRevoked = await withDatabase((conn) => accountsService(conn).revokeKey(arg));
    if (!isRevoked) throw new UsageError(`No key ${arg}`);
    if (values.json) print({ keyId: arg, revoked: true });
    else process.stdout.write(`Key ${arg} revoked.\n`);
    return;
  }
  if (group === 'account' && command === 'rotate-secret') {
    if (!arg) throw new UsageError('account rotate-secret needs an account id (see account list)');
    const rawOverlap = values['overlap-hours'] ?? String(DEFAULT_ROTATION_OVERLAP_HOURS);
    const overlapHours = Number(rawOverlap);
    if (!/^\d+(\.\d+)?$/.test(rawOverlap) || !Number.isFinite(overlapHours)) {
      throw new UsageError('--overlap-hours needs a number of hours, e.g. --overlap-hours 24');
    }
    const rotated = await withDatabase((conn) => rotateSigningSecret(conn, arg, { overlapHours }));
    if (!rotated) throw new UsageError(`No account ${arg}`);
    if (values.json) print(rotated);
    else {
      process.stdout.write(
        [
          `New signing secret for ${arg}; shown only once:`,
          `  ${rotated.secret}`,
          rotated.previousExpiresAt
            ? `Callbacks carry a signature with the previous secret too until ${rotated.previousExpiresAt}.`
            : 'No previous secret is still active.',
          '',
        ].join('\n'),
      );
    }
    return;
  }
  if (group === 'callback' && command === 'redeliver') {
    if (!arg) throw new UsageError('callback redeliver needs an approval id');
    const result = await withDatabase(async (conn) => {
      const now = new Date();
      const outcome = await deliveriesRepository(conn, deliverySources(conn)).redeliver(null, arg, now);
      if (outcome.kind === 'queued') {
        await new AuditTrail(conn, silentLogger).recordRedelivery({
          approvalId: arg,
          accountId: outcome.accountId,
          actor: 'cli',
          previousState: outcome.previousState,
          at: now,
        });
      }
      return outcome;
    });
    const messages: Record<typeof result.kind, string> = {
      'not-found': `No approval ${arg}`,
      'not-decided': `Approval ${arg} is not decided yet; its callback is sent when it is`,
      'no-callback': `Approval ${arg} has no callbackUrl`,
      'in-flight': `The callback of ${arg} is being sent right now`,
      queued: `The callback of ${arg} is queued again; a running gateway sends it within its poll interval`,
    };
    if (result.kind === 'not-found' || result.kind === 'not-decided' || result.kind === 'no-callback') {
      throw new UsageError(messages[result.kind]);
    }
    if (values.json) print({ approvalId: arg, result: result.kind });
    else process.stdout.write(`${messages[result.kind]}.\n`);
    return;
  }
  throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const isUsage =
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    if (isUsage) process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError || err instanceof EmbeddedDatabaseError || err instanceof SecretsKeyError)
      process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`cheqpoint: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(isUsage ? 64 : 1);
  },
);

import { parseArgs } from 'node:util';
import type { Connection } from 'mongoose';
import { accountsService } from '../accounts/accounts.service.js';
import { KEY_SCOPES, type KeyScope } from '../accounts/api-key.js';
import { ConfigError, loadConfig } from '../config.js';
import { connectDatabase } from '../db/connection.js';
import { EmbeddedDatabaseError, openEmbeddedDatabase, type EmbeddedDatabase } from '../db/embedded-ferretdb.js';
import { ensureIndexes } from '../db/indexes.js';

const USAGE = `Usage: npm run cheqpoint -- <command>

  account create <name> [--json]     create an account; prints its flow key, agent key and
                                     signing secret once
  account list [--json]              accounts and their keys (never the keys themselves)
  key create --account <id> --scope flow|agent [--json]
                                     add a key to an account (printed once)
  key revoke <keyId>                 revoke a key; it fails on its next request

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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      account: { type: 'string' },
      scope: { type: 'string' },
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
    const created = await withDatabase((conn) => accountsService(conn).createAccount(name));
    if (values.json) print(created);
    else {
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
  throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const isUsage =
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'));
    if (isUsage) process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError || err instanceof EmbeddedDatabaseError)
      process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`cheqpoint: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(isUsage ? 64 : 1);
  },
);

import { parseArgs } from 'node:util';
import { accountsService } from '../accounts/accounts.service.js';
import type { CliContext } from '../policies/policies.cli.js';
import { checkCredentials, roleNote, type ZendeskSelf } from './check-credentials.js';
import {
  ConnectionError,
  connectionFieldsOf,
  zendeskConnections,
  type ConnectInput,
  type ConnectionView,
} from './connections.js';
import { zendeskOutbox } from './zendesk-outbox.js';
import type { ZendeskFailureDoc } from './zendesk.model.js';
import { SETUP_GUIDE_USAGE, setupGuideCli } from './setup-guide.cli.js';
import { VERIFY_USAGE, verifyCli } from './verify.cli.js';

export const ZENDESK_USAGE = `  zendesk connect <accountId> --subdomain <name> --app-id <id>
          (--email <agent email> --api-token-env <VAR> | --oauth-token-env <VAR>) [--url <url>] [--json]
                                     tag tickets, notify the app and note policy/expiry decisions in
                                     that Zendesk; the token is read from the env var <VAR>, or from
                                     stdin with --api-token-stdin / --oauth-token-stdin (never argv);
                                     Zendesk is asked first who the token signs in as
                                     (GET /api/v2/users/me.json): a refused token is not stored
  zendesk show <accountId> [--json]  the account's Zendesk connection (never the token) and the
                                     last failed attempt of its Zendesk outbox
  zendesk disconnect <accountId>     stop telling Zendesk about the account's approvals
${SETUP_GUIDE_USAGE}
${VERIFY_USAGE}`;

/** Reads a secret from stdin (piped), trimmed. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

function describeConnection(view: ConnectionView): string {
  const auth = view.authKind === 'oauth' ? 'OAuth access token' : `API token of ${view.email}`;
  return [
    `Zendesk connection of ${view.accountId}:`,
    `  subdomain: ${view.subdomain}`,
    `  API:       ${view.baseUrl}`,
    `  app id:    ${view.appId}`,
    `  signs in:  ${auth} (not shown)`,
    `  updated:   ${view.updatedAt.toISOString()}`,
    '',
  ].join('\n');
}

/** A failed attempt as `zendesk show` prints it: when, which effect of which approval, and why. */
export type FailureView = Omit<ZendeskFailureDoc, '_id'>;

function describeFailure(failure: FailureView | null): string {
  if (!failure) return '  last failure: none\n';
  const outcome = failure.state === 'failed' ? 'given up' : 'will be retried';
  return [
    `  last failure: ${failure.at.toISOString()}, ${failure.error} (${outcome})`,
    `                ${failure.effect} of ${failure.approvalId} (ticket ${failure.ticketId}), attempt ${failure.attempt}`,
    '',
  ].join('\n');
}

const describeUser = (user: ZendeskSelf) =>
  `Zendesk accepts the token: it signs in as ${user.name}${user.email ? ` <${user.email}>` : ''} (user ${user.id}), ${roleNote(user.role)}.\n`;

/** `zendesk connect | show | disconnect`. */
export async function zendeskCli(argv: string[], ctx: CliContext) {
  if (argv[0] === 'verify') return verifyCli(argv.slice(1), ctx);
  if (argv[0] === 'setup-guide') return setupGuideCli(argv.slice(1), ctx);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      subdomain: { type: 'string' },
      url: { type: 'string' },
      'app-id': { type: 'string' },
      email: { type: 'string' },
      'api-token-env': { type: 'string' },
      'oauth-token-env': { type: 'string' },
      'api-token-stdin': { type: 'boolean', default: false },
      'oauth-token-stdin': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, accountId] = positionals;
  if (!accountId) throw ctx.usageError(`zendesk ${command ?? '<command>'} needs an account id (see account list)`);

  if (command === 'connect') {
    const input = await connectInput(values, ctx);
    let fields: ReturnType<typeof connectionFieldsOf>;
    try {
      fields = connectionFieldsOf(input);
    } catch (err) {
      if (err instanceof ConnectionError) throw ctx.usageError(err.message);
      throw err;
    }
    const { view, user } = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
      const connections = zendeskConnections(conn);
      // Checked before anything is written: refused credentials leave a stored connection as it was.
      const check = await checkCredentials(fields);
      if (!check.ok) {
        const kept = (await connections.show(accountId)) ? 'the stored connection is unchanged' : 'nothing was stored';
        throw new Error(`${check.reason}. Not connected: ${kept}.`);
      }
      return { view: await connections.connect(accountId, input), user: check.user };
    });
    if (values.json) {
      ctx.write(`${JSON.stringify({ ...view, zendeskUser: user }, null, 2)}\n`);
      return;
    }
    ctx.write(describeConnection(view) + describeUser(user));
    ctx.write('A running gateway uses it within 5 seconds.\n');
    return;
  }
  if (command === 'show') {
    const shown = await ctx.withDatabase(async (conn) => {
      const view = await zendeskConnections(conn).show(accountId);
      if (!view) return null;
      const failure = await zendeskOutbox(conn).lastFailure(accountId);
      return { view, lastFailure: failure ? failureView(failure) : null };
    });
    if (!shown) throw ctx.usageError(`Account ${accountId} has no Zendesk connection`);
    ctx.write(
      values.json
        ? `${JSON.stringify({ ...shown.view, lastFailure: shown.lastFailure }, null, 2)}\n`
        : describeConnection(shown.view) + describeFailure(shown.lastFailure),
    );
    return;
  }
  if (command === 'disconnect') {
    const isRemoved = await ctx.withDatabase((conn) => zendeskConnections(conn).disconnect(accountId));
    if (!isRemoved) throw ctx.usageError(`Account ${accountId} has no Zendesk connection`);
    ctx.write(
      values.json
        ? `${JSON.stringify({ accountId, disconnected: true })}\n`
        : `Zendesk connection of ${accountId} removed.\n`,
    );
    return;
  }
  throw ctx.usageError(`Unknown command: zendesk ${command}`);
}

function failureView(doc: ZendeskFailureDoc): FailureView {
  const { _id, ...rest } = doc;
  return rest;
}

type ConnectValues = {
  subdomain?: string | undefined;
  url?: string | undefined;
  'app-id'?: string | undefined;
  email?: string | undefined;
  'api-token-env'?: string | undefined;
  'oauth-token-env'?: string | undefined;
  'api-token-stdin'?: boolean | undefined;
  'oauth-token-stdin'?: boolean | undefined;
};

/** The connection from the options; the token from the named env var or stdin. */
async function connectInput(values: ConnectValues, ctx: CliContext): Promise<ConnectInput> {
  if (!values.subdomain) throw ctx.usageError('zendesk connect needs --subdomain (acme for acme.zendesk.com)');
  if (!values['app-id'] || !/^\d+$/.test(values['app-id'])) {
    throw ctx.usageError('zendesk connect needs --app-id <number> (the Cheqpoint app id in Zendesk)');
  }
  const sources = [
    values['api-token-env'] && 'api-env',
    values['oauth-token-env'] && 'oauth-env',
    values['api-token-stdin'] && 'api-stdin',
    values['oauth-token-stdin'] && 'oauth-stdin',
  ].filter(Boolean);
  if (sources.length !== 1) {
    throw ctx.usageError(
      'zendesk connect needs exactly one of --api-token-env, --oauth-token-env, --api-token-stdin, --oauth-token-stdin',
    );
  }
  const source = sources[0] as string;
  let token: string;
  if (source.endsWith('-env')) {
    const name = (values['api-token-env'] ?? values['oauth-token-env']) as string;
    token = process.env[name]?.trim() ?? '';
    if (!token) throw ctx.usageError(`The environment variable ${name} is not set or empty`);
  } else {
    token = await readStdin();
    if (!token) throw ctx.usageError('No token on stdin');
  }
  const common = { subdomain: values.subdomain, url: values.url ?? null, appId: Number(values['app-id']) };
  if (source.startsWith('oauth')) return { ...common, auth: { kind: 'oauth', token } };
  if (!values.email) throw ctx.usageError('An API token needs --email (the Zendesk agent it belongs to)');
  return { ...common, auth: { kind: 'api-token', email: values.email, token } };
}

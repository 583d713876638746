import { parseArgs } from 'node:util';
import { secretNamesOf, type ActionConfig } from '@cheqpoint/shared';
import { accountsService } from '../accounts/accounts.service.js';
import { loadConfig } from '../config.js';
import type { CliContext } from '../policies/policies.cli.js';
import { actionConfigs } from './action-configs.js';
import { readActionsFile } from './actions-file.js';
import { hostOf, MissingValuesError, renderReply, renderRequest, type TemplateInput } from './render.js';
import { parseSecretsKey } from './secrets-key.js';
import { secretsStore } from './secrets.js';

export const SECRET_USAGE = `  secret set <accountId> <name>      store a secret that actions use as {{secrets.<name>}}; the value
                                     is read from stdin, encrypted with CHEQPOINT_SECRETS_KEY, never shown
  secret list <accountId> [--json]   the account's secret names (never their values)
  secret delete <accountId> <name>`;

export const ACTION_USAGE = `  action set <accountId> --file <actions.json>
                                     how Cheqpoint carries out decided actions and replies to the customer
                                     (README "Late decisions"); applies to approvals created from then on
  action show <accountId> [--json]   the account's actions (secrets by name only)
  action try <accountId> <action> --details '<json>' [--note <text>] [--ticket <id>]
                                     the request and replies it would make, rendered without sending
                                     (secrets shown as «secret:<name>»)
  action clear <accountId>           Cheqpoint carries out nothing for the account any more`;

/** Reads all of stdin (the secret value), without its final newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function describeAction(config: ActionConfig): string {
  const lines = [`  ${config.action} (when: ${config.when})`];
  if (config.execute) {
    const headers = Object.keys(config.execute.headers ?? {});
    lines.push(`    execute: ${config.execute.method} ${config.execute.url}`);
    if (config.execute.name) lines.push(`    name:    ${config.execute.name}`);
    if (headers.length > 0) lines.push(`    headers: ${headers.join(', ')}`);
    if (config.execute.body !== undefined) lines.push(`    body:    ${JSON.stringify(config.execute.body)}`);
  }
  if (config.reply?.approved) lines.push(`    reply when approved: ${config.reply.approved}`);
  if (config.reply?.rejected) lines.push(`    reply when rejected: ${config.reply.rejected}`);
  const secrets = secretNamesOf(config);
  if (secrets.length > 0) lines.push(`    secrets: ${secrets.join(', ')}`);
  return lines.join('\n');
}

/** `secret set | list | delete`. */
export async function secretCli(argv: string[], ctx: CliContext) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [command, accountId, name] = positionals;
  if (!command) throw ctx.usageError('secret needs a command: set, list or delete');
  if (!accountId) throw ctx.usageError(`secret ${command} needs an account id (see account list)`);
  if (command === 'set') {
    if (!name) throw ctx.usageError('secret set needs a name, e.g. secret set <accountId> billing');
    const key = parseSecretsKey(loadConfig().CHEQPOINT_SECRETS_KEY);
    const value = await readStdin();
    const outcome = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) return null;
      return secretsStore(conn).set(key, accountId, name, value, new Date());
    });
    if (!outcome) throw ctx.usageError(`No account ${accountId}`);
    ctx.write(
      `Secret ${name} of ${accountId} ${outcome === 'created' ? 'stored' : 'replaced'} (encrypted; it is never shown).\n`,
    );
    return;
  }
  if (command === 'list') {
    const list = await ctx.withDatabase((conn) => secretsStore(conn).list(accountId));
    if (values.json) {
      ctx.write(
        `${JSON.stringify(
          list.map((s) => ({ name: s.name, createdAt: s.createdAt, updatedAt: s.updatedAt })),
          null,
          2,
        )}\n`,
      );
    } else if (list.length === 0) ctx.write(`Account ${accountId} has no secrets.\n`);
    else for (const s of list) ctx.write(`${s.name}  set ${s.updatedAt.toISOString()}\n`);
    return;
  }
  if (command === 'delete') {
    if (!name) throw ctx.usageError('secret delete needs a name');
    const result = await ctx.withDatabase(async (conn) => {
      const isDeleted = await secretsStore(conn).delete(accountId, name);
      const stored = await actionConfigs(conn).get(accountId);
      const users = (stored?.file.actions ?? []).filter((a) => secretNamesOf(a).includes(name)).map((a) => a.action);
      return { isDeleted, users };
    });
    if (!result.isDeleted) throw ctx.usageError(`Account ${accountId} has no secret ${name}`);
    ctx.write(`Secret ${name} of ${accountId} deleted.\n`);
    if (result.users.length > 0) {
      ctx.write(`Warning: ${result.users.join(', ')} use it; their executions fail until it is set again.\n`);
    }
    return;
  }
  throw ctx.usageError(`Unknown command: secret ${command}`);
}

/** `action set | show | try | clear`. */
export async function actionCli(argv: string[], ctx: CliContext) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      details: { type: 'string' },
      note: { type: 'string' },
      ticket: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [command, accountId, actionName] = positionals;
  if (!command) throw ctx.usageError('action needs a command: set, show, try or clear');
  if (!accountId) throw ctx.usageError(`action ${command} needs an account id (see account list)`);
  const config = loadConfig();

  if (command === 'set') {
    if (!values.file) throw ctx.usageError('action set needs --file <actions.json>');
    const file = values.file;
    const result = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) return null;
      const secrets = await secretsStore(conn).list(accountId);
      const parsed = await readActionsFile(file, {
        allowlist: config.CHEQPOINT_CALLBACK_ALLOWLIST,
        storedSecrets: new Set(secrets.map((s) => s.name)),
      });
      const version = await actionConfigs(conn).set(accountId, parsed, new Date());
      return { parsed, version };
    });
    if (!result) throw ctx.usageError(`No account ${accountId}`);
    ctx.write(
      `Actions of ${accountId} set (version ${result.version}); they apply to approvals created from now on:\n`,
    );
    for (const a of result.parsed.actions) ctx.write(`${describeAction(a)}\n`);
    if (result.parsed.actions.some((a) => a.reply)) {
      ctx.write("Replies are added to Zendesk tickets through the account's Zendesk connection (zendesk connect).\n");
    }
    return;
  }
  if (command === 'show') {
    const stored = await ctx.withDatabase((conn) => actionConfigs(conn).get(accountId));
    if (values.json) {
      ctx.write(
        `${JSON.stringify(stored ? { version: stored.version, updatedAt: stored.updatedAt, ...stored.file } : null, null, 2)}\n`,
      );
    } else if (!stored || stored.file.actions.length === 0)
      ctx.write(`Account ${accountId} has no actions: Cheqpoint carries out nothing.\n`);
    else {
      ctx.write(`Actions of ${accountId}, version ${stored.version}, set ${stored.updatedAt.toISOString()}:\n`);
      for (const a of stored.file.actions) ctx.write(`${describeAction(a)}\n`);
    }
    return;
  }
  if (command === 'clear') {
    await ctx.withDatabase((conn) => actionConfigs(conn).clear(accountId));
    ctx.write(`Actions of ${accountId} cleared: approvals created from now on are not carried out by Cheqpoint.\n`);
    return;
  }
  if (command === 'try') {
    if (!actionName)
      throw ctx.usageError(
        'action try needs an action, e.g. action try <accountId> cancel_subscription --details \'{"subscription_id":"sub_1"}\'',
      );
    let details: unknown = {};
    if (values.details !== undefined) {
      try {
        details = JSON.parse(values.details);
      } catch (err) {
        throw ctx.usageError(`--details is not valid JSON: ${(err as Error).message}`);
      }
    }
    if (details === null || typeof details !== 'object' || Array.isArray(details)) {
      throw ctx.usageError('--details must be a JSON object');
    }
    const found = await ctx.withDatabase(async (conn) => {
      const action = await actionConfigs(conn).find(accountId, actionName);
      const names = action ? secretNamesOf(action) : [];
      return { action, stored: action ? await secretsStore(conn).existing(accountId, names) : new Set<string>() };
    });
    if (!found.action) throw new Error(`Account ${accountId} has no action ${actionName} (action show lists them)`);
    const input: TemplateInput = {
      details: details as Record<string, unknown>,
      decisionNote: values.note ?? null,
      approvalId: 'apr_00000000000000000000000000000000',
      ticketId: values.ticket ?? null,
      // Never the value: its name, so the output can be pasted anywhere.
      secret: (name) => (found.stored.has(name) ? `«secret:${name}»` : undefined),
    };
    const rendered: Record<string, unknown> = { action: actionName, when: found.action.when };
    const missing: string[] = [];
    const attempt = <T>(fn: () => T): T | null => {
      try {
        return fn();
      } catch (err) {
        if (!(err instanceof MissingValuesError)) throw err;
        missing.push(...err.missing);
        return null;
      }
    };
    const execute = found.action.execute;
    if (execute) {
      const request = attempt(() => renderRequest(execute, input));
      if (request) {
        rendered['request'] = {
          ...request,
          headers: { ...request.headers, 'Idempotency-Key': input.approvalId },
          host: hostOf(execute),
          body: request.body === undefined ? undefined : (JSON.parse(request.body) as unknown),
        };
      }
    }
    for (const outcome of ['approved', 'rejected'] as const) {
      const template = found.action.reply?.[outcome];
      if (template !== undefined) {
        const text = attempt(() => renderReply(template, input));
        if (text !== null) rendered[`reply.${outcome}`] = text;
      }
    }
    if (missing.length > 0) {
      throw new Error(`action try: no value for ${[...new Set(missing)].join(', ')} (nothing would be sent)`);
    }
    if (values.json) ctx.write(`${JSON.stringify(rendered, null, 2)}\n`);
    else {
      const request = rendered['request'] as
        { method: string; url: string; headers: Record<string, string>; body?: unknown } | undefined;
      if (request) {
        ctx.write(`${request.method} ${request.url}\n`);
        for (const [k, v] of Object.entries(request.headers)) ctx.write(`${k}: ${v}\n`);
        if (request.body !== undefined) ctx.write(`\n${JSON.stringify(request.body, null, 2)}\n`);
      } else ctx.write('No request (the action only replies).\n');
      for (const outcome of ['approved', 'rejected'] as const) {
        const text = rendered[`reply.${outcome}`];
        if (typeof text === 'string') ctx.write(`\nReply when ${outcome}:\n${text}\n`);
      }
      ctx.write('\n(Rendered only: nothing was sent.)\n');
    }
    return;
  }
  throw ctx.usageError(`Unknown command: action ${command}`);
}

import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Connection } from 'mongoose';
import {
  describeDeciders,
  findJsonIssues,
  formatPolicyErrors,
  InsightsQuerySchema,
  parsePolicy,
  type Condition,
  type EditableField,
  type Policy,
  type PolicyRule,
  type Suggestions,
} from '@cheqpoint/shared';
import { accountsService } from '../accounts/accounts.service.js';
import { readSuggestions } from '../insights/insights.js';
import { systemClock } from '../lib/clock.js';
import { policiesRepository, type StoredPolicy } from './policies.repository.js';
import { evaluatePolicy, type PolicyEvaluation } from './policy.evaluator.js';

/** What the `policy` and `audit` commands need from the CLI around them. */
export type CliContext = {
  withDatabase: <T>(run: (conn: Connection) => Promise<T>) => Promise<T>;
  /** An error the CLI reports with its usage text (exit 64). */
  usageError: (message: string) => Error;
  write: (text: string) => void;
};

export const POLICY_USAGE = `  policy set --account <id> --file <path> [--json]
                                     validate a policy file and make it the account's policy
  policy show --account <id> [--json]
                                     the account's rules, in the order they are tried
  policy check --file <path>         validate a policy file without storing it
  policy try (--account <id> | --file <path>) --action <name> [--details <json>] [--json]
                                     what the policy would do with a request: the deciding rule,
                                     dry runs, approvers, who may decide and the escalation
  policy suggest <accountId> [--days <n>] [--json]
                                     rules people's decisions of the last n days (default 30) make
                                     safe, backtested over every stored request; --json prints the
                                     account's policy with them first, a file policy try/set take`;

/** Largest policy file read. */
const MAX_POLICY_FILE_BYTES = 1024 * 1024;

/** Reads and validates a policy file; the error names the rule (index and name) and field. */
export async function readPolicyFile(file: string) {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new Error(`Policy file ${file} not found`);
  if (info.size > MAX_POLICY_FILE_BYTES) throw new Error(`Policy file ${file} is larger than 1 MB`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`Policy file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = parsePolicy(json);
  if (!parsed.success) {
    const lines = formatPolicyErrors(parsed.errors)
      .split('\n')
      .map((line) => `  ${line}`);
    throw new Error(`Policy file ${file} is invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

const OPERATOR_TEXT: Record<keyof Condition, string> = {
  eq: '=',
  in: 'in',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  exists: 'exists',
};

function describeConditions(rule: PolicyRule): string {
  const parts = Object.entries(rule.conditions ?? {}).flatMap(([path, condition]) =>
    (Object.keys(OPERATOR_TEXT) as (keyof Condition)[])
      .filter((op) => condition[op] !== undefined)
      .map((op) =>
        op === 'exists'
          ? `${path} ${condition.exists ? 'is present' : 'is absent'}`
          : `${path} ${OPERATOR_TEXT[op]} ${JSON.stringify(condition[op])}`,
      ),
  );
  return parts.length > 0 ? ` when ${parts.join(' and ')}` : '';
}

function describeLimits(limits: EditableField): string {
  const parts: string[] = [];
  if (limits.type) parts.push(limits.type);
  if (limits.min !== undefined) parts.push(`min ${limits.min}`);
  if (limits.max !== undefined) parts.push(`max ${limits.max}`);
  if (limits.mayOnlyDecrease) parts.push('may only decrease');
  if (limits.mayOnlyIncrease) parts.push('may only increase');
  if (limits.oneOf) parts.push(`one of ${limits.oneOf.map((v) => JSON.stringify(v)).join(', ')}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The policy as `policy show` prints it. */
export function describePolicy(accountId: string, stored: StoredPolicy | null): string {
  if (!stored) return `Account ${accountId} has no policy: a person decides every request.\n`;
  const { policy } = stored;
  const lines = [
    `Policy of ${accountId}, version ${stored.version}, set ${stored.updatedAt.toISOString()} (sha256 ${stored.sha256.slice(0, 12)})`,
  ];
  if (policy.rules.length === 0) lines.push('  No rules: a person decides every request.');
  policy.rules.forEach((rule, index) => {
    const extras = [
      rule.dryRun ? 'dry run' : null,
      rule.expiresInSeconds !== undefined ? `expires after ${rule.expiresInSeconds} s` : null,
      rule.approvals !== undefined ? `needs ${rule.approvals} distinct approvers` : null,
      rule.deciders ? describeDeciders(rule.deciders) : null,
      rule.escalation ? `escalates after ${rule.escalation.afterSeconds} s` : null,
    ].filter(Boolean);
    lines.push(
      `  ${index + 1}. ${rule.name}: ${rule.action}${describeConditions(rule)} → ${rule.outcome}` +
        (extras.length > 0 ? ` [${extras.join(', ')}]` : ''),
    );
    if (rule.note) lines.push(`       note: ${rule.note}`);
    if (rule.editableFields) {
      const fields = Object.entries(rule.editableFields).map(([path, limits]) => `${path}${describeLimits(limits)}`);
      lines.push(`       editable: ${fields.length > 0 ? fields.join('; ') : 'nothing'}`);
    }
  });
  lines.push('  Otherwise: a person decides.');
  const expiries = Object.entries(policy.expiries ?? {});
  if (expiries.length > 0) {
    lines.push(`Per-action expiry: ${expiries.map(([pattern, seconds]) => `${pattern} ${seconds} s`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What `policy try` prints: the evaluation of one request, in words. */
export function describeEvaluation(evaluation: PolicyEvaluation): string {
  const lines: string[] = [];
  const by = evaluation.rule === null ? 'no rule matched' : `rule "${evaluation.rule}"`;
  if (evaluation.outcome === 'require_human') {
    lines.push(`A person decides (${by}).`);
    if (evaluation.approvalsRequired > 1) lines.push(`  Approvers: ${evaluation.approvalsRequired} distinct agents.`);
    lines.push(
      `  Who may decide: ${evaluation.deciders ? `${whoMayDecide(evaluation.deciders)} (the app says “${describeDeciders(evaluation.deciders)}”)` : 'any agent'}.`,
    );
    const escalation = evaluation.escalation;
    if (escalation) {
      const does = [
        escalation.deciders ? `also ${whoMayDecide(escalation.deciders)} may decide` : null,
        escalation.priority ? `ticket priority ${escalation.priority}` : null,
        escalation.notifyGroup ? `${escalation.notifyGroup} is told` : null,
      ].filter(Boolean);
      lines.push(`  Escalation after ${escalation.afterSeconds} s: ${does.join('; ')}.`);
    }
    if (evaluation.expiresInSeconds !== null) lines.push(`  Expires after ${evaluation.expiresInSeconds} s.`);
  } else lines.push(`Decided at once: ${evaluation.outcome === 'approve' ? 'approved' : 'rejected'} by ${by}.`);
  for (const dry of evaluation.dryRun) lines.push(`  Dry run: rule "${dry.rule}" would have ${dry.wouldHave}d.`);
  return `${lines.join('\n')}\n`;
}

function whoMayDecide(deciders: { roles?: string[] | undefined; groups?: string[] | undefined }): string {
  return [...(deciders.roles ?? []).map((r) => `role ${r}`), ...(deciders.groups ?? []).map((g) => `group ${g}`)].join(
    ' or ',
  );
}

function parseDetails(text: string | undefined, usageError: CliContext['usageError']): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError('--details must be a JSON object, e.g. \'{"amount": 500}\'');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError('--details must be a JSON object, e.g. \'{"amount": 500}\'');
  }
  const issue = findJsonIssues(value)[0];
  if (issue) throw usageError(`--details: ${issue.message}`);
  return value as Record<string, unknown>;
}

/** `policy set|show|check|try …` (arguments after the word `policy`). */
export async function policyCli(argv: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      action: { type: 'string' },
      details: { type: 'string' },
      days: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (command === 'suggest') return suggestCli(rest, values, ctx);
  if (rest.length > 0) throw ctx.usageError(`Unexpected argument: ${rest.join(' ')}`);
  const print = (value: unknown) => ctx.write(`${JSON.stringify(value, null, 2)}\n`);

  if (command === 'check') {
    if (!values.file) throw ctx.usageError('policy check needs --file <path>');
    const policy = await readPolicyFile(values.file);
    if (values.json) print({ valid: true, rules: policy.rules.length });
    else ctx.write(`Policy file ${values.file} is valid (${policy.rules.length} rules).\n`);
    return;
  }
  if (command === 'try') {
    if (!values.action) throw ctx.usageError('policy try needs --action <name>');
    if (!values.account === !values.file) throw ctx.usageError('policy try needs --account <id> or --file <path>');
    const details = parseDetails(values.details, ctx.usageError);
    let policy: Policy | null;
    if (values.file) policy = await readPolicyFile(values.file);
    else {
      const accountId = values.account as string;
      policy = await ctx.withDatabase(async (conn) => {
        if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
        return (await policiesRepository(conn).getPolicy(accountId))?.policy ?? null;
      });
    }
    const evaluation = evaluatePolicy(policy, { action: values.action, details });
    if (values.json) {
      const { note, ...rest } = evaluation;
      print({ ...rest, note, requirement: evaluation.deciders ? describeDeciders(evaluation.deciders) : null });
    } else ctx.write(describeEvaluation(evaluation));
    return;
  }
  if (command === 'set') {
    const accountId = values.account;
    if (!accountId) throw ctx.usageError('policy set needs --account <accountId>');
    if (!values.file) throw ctx.usageError('policy set needs --file <path>');
    const policy = await readPolicyFile(values.file);
    const stored = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
      return policiesRepository(conn).setPolicy(accountId, policy);
    });
    if (values.json) {
      print({ accountId, version: stored.version, sha256: stored.sha256, rules: stored.policy.rules.length });
    } else {
      ctx.write(`Policy version ${stored.version} set for ${accountId} (${stored.policy.rules.length} rules).\n`);
    }
    return;
  }
  if (command === 'show') {
    const accountId = values.account;
    if (!accountId) throw ctx.usageError('policy show needs --account <accountId>');
    const stored = await ctx.withDatabase(async (conn) => {
      if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
      return policiesRepository(conn).getPolicy(accountId);
    });
    if (values.json) {
      print(
        stored
          ? {
              accountId,
              version: stored.version,
              updatedAt: stored.updatedAt.toISOString(),
              sha256: stored.sha256,
              policy: stored.policy,
            }
          : { accountId, version: null, policy: null },
      );
    } else ctx.write(describePolicy(accountId, stored));
    return;
  }
  throw ctx.usageError(`Unknown command: policy ${command ?? ''}`.trim());
}

/** What `policy suggest` prints: each suggestion with its numbers, then how to review and apply it. */
export function describeSuggestions(accountId: string, result: Suggestions): string {
  const lines = [
    `Suggested rules for ${accountId}, from people's decisions of the ${result.days} days ${result.from} to ${result.to}`,
    `(a slice people approved unchanged at least ${result.minApprovals} times, or rejected as often, and never decided otherwise):`,
  ];
  if (result.suggestions.length === 0) lines.push('  None yet: no slice is safe to decide by rule.');
  result.suggestions.forEach((suggestion, index) => {
    const { rule, period, backtest } = suggestion;
    lines.push(`  ${index + 1}. ${rule.name}: ${rule.action}${describeConditions(rule)} → ${rule.outcome}`);
    lines.push(
      `       period: ${period.approvedUnchanged} approved unchanged by people, ${period.approvedWithChanges} changed, ${period.rejected} rejected`,
    );
    lines.push(
      `       backtest over every stored ${rule.action} request: would have decided ${backtest.wouldHaveDecided} ` +
        `(${backtest.approvedUnchanged} approved unchanged, ${backtest.approvedWithChanges} changed, ${backtest.rejected} rejected, ` +
        `${backtest.expired} expired, ${backtest.pending} pending); decided otherwise: ${backtest.conflicting}`,
    );
  });
  if (result.suggestions.length > 0) {
    const cli = 'npm run -s cheqpoint --';
    lines.push('Nothing is applied. To review and apply (the suggested rules come first, your rules after them):');
    lines.push(`  ${cli} policy suggest ${accountId} --json > suggested-policy.json`);
    lines.push(`  ${cli} policy try --file suggested-policy.json --action <action> --details '<json>'`);
    lines.push(`  ${cli} policy set --account ${accountId} --file suggested-policy.json`);
  }
  return `${lines.join('\n')}\n`;
}

/** `policy suggest <accountId> [--days <n>] [--json]` (or `--account <id>`). */
async function suggestCli(
  rest: string[],
  values: { account?: string | undefined; days?: string | undefined; json?: boolean | undefined },
  ctx: CliContext,
): Promise<void> {
  if (rest.length > 1) throw ctx.usageError(`Unexpected argument: ${rest.slice(1).join(' ')}`);
  const accountId = rest[0] ?? values.account;
  if (!accountId) throw ctx.usageError('policy suggest needs <accountId>');
  const parsed = InsightsQuerySchema.safeParse(values.days === undefined ? {} : { days: values.days });
  if (!parsed.success) throw ctx.usageError('--days must be a whole number of days from 1 to 366');
  const result = await ctx.withDatabase(async (conn) => {
    if (!(await accountsService(conn).getAccount(accountId))) throw ctx.usageError(`No account ${accountId}`);
    return readSuggestions(conn, systemClock, accountId, parsed.data.days);
  });
  if (values.json) ctx.write(`${JSON.stringify(result.policy, null, 2)}\n`);
  else ctx.write(describeSuggestions(accountId, result));
}

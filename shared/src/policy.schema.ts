import { z } from 'zod';
import { FORBIDDEN_KEYS, findJsonIssues } from './json.schema.js';
import type { FieldError } from './problem.schema.js';
import { NotifySchema } from './slack.schema.js';

/** What a matching rule does with a request. */
export const POLICY_OUTCOMES = ['approve', 'reject', 'require_human'] as const;
export type PolicyOutcome = (typeof POLICY_OUTCOMES)[number];

/** Condition operators on a `details` field. */
export const CONDITION_OPERATORS = ['eq', 'in', 'lt', 'lte', 'gt', 'gte', 'exists'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** Value types a bounded edit may require. */
export const EDITABLE_FIELD_TYPES = ['number', 'string', 'boolean'] as const;

/** Most rules a policy may hold. */
export const MAX_POLICY_RULES = 500;
/** Longest per-rule or per-action expiry: 30 days. */
export const MAX_POLICY_EXPIRY_SECONDS = 30 * 24 * 60 * 60;
/** Most distinct approvers a quorum rule may ask for. */
export const MAX_APPROVALS_REQUIRED = 10;

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
const finite = z.number().refine(Number.isFinite, { message: 'Expected a finite number' });

/** Action names or globs: `refund`, `refund_*`, `*`. */
export const ActionPatternSchema = z
  .string()
  .min(1, { message: 'Action pattern must not be empty' })
  .max(200)
  .regex(/^[^\s]+$/, { message: 'Action pattern must not contain spaces' });

/** A dotted path into `details`: `amount`, `customer.tier`, `items.0.sku`. */
export const FieldPathSchema = z
  .string()
  .max(200)
  .refine(
    (path) => path.split('.').every((part) => part.length > 0 && !(FORBIDDEN_KEYS as readonly string[]).includes(part)),
    { message: 'Field path must be dot-separated field names, like amount or customer.tier' },
  );

/** Tests on one `details` field; every operator given must hold. */
export const ConditionSchema = z
  .strictObject({
    eq: scalar.optional().describe('Equal to this string, number, boolean or null (type included)'),
    in: z.array(scalar).min(1).max(100).optional().describe('Equal to one of these values'),
    lt: finite.optional().describe('A number (or decimal string) below this'),
    lte: finite.optional().describe('A number (or decimal string) at most this'),
    gt: finite.optional().describe('A number (or decimal string) above this'),
    gte: finite.optional().describe('A number (or decimal string) at least this'),
    exists: z.boolean().optional().describe('true: present and not null; false: absent or null'),
  })
  .superRefine((condition, ctx) => {
    const operators = CONDITION_OPERATORS.filter((op) => condition[op] !== undefined);
    if (operators.length === 0) {
      ctx.addIssue({ code: 'custom', message: `Give at least one operator: ${CONDITION_OPERATORS.join(', ')}` });
    }
    if (condition.exists === false && operators.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['exists'],
        message: 'exists: false cannot be combined with other operators',
      });
    }
  });
export type Condition = z.infer<typeof ConditionSchema>;

/** Limits on one field a person may change when approving. */
export const EditableFieldSchema = z
  .strictObject({
    type: z.enum(EDITABLE_FIELD_TYPES).optional().describe('Required type of the new value'),
    min: finite.optional().describe('Smallest allowed number'),
    max: finite.optional().describe('Largest allowed number'),
    mayOnlyDecrease: z.boolean().optional().describe('The new number must not exceed the original'),
    mayOnlyIncrease: z.boolean().optional().describe('The new number must not be below the original'),
    oneOf: z.array(scalar).min(1).max(100).optional().describe('The new value must be one of these'),
  })
  .superRefine((limits, ctx) => {
    const isNumeric =
      limits.min !== undefined ||
      limits.max !== undefined ||
      limits.mayOnlyDecrease === true ||
      limits.mayOnlyIncrease === true;
    if (isNumeric && limits.type !== undefined && limits.type !== 'number') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'min, max, mayOnlyDecrease and mayOnlyIncrease need type "number"',
      });
    }
    if (limits.min !== undefined && limits.max !== undefined && limits.min > limits.max) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'max must not be below min' });
    }
    if (limits.mayOnlyDecrease === true && limits.mayOnlyIncrease === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['mayOnlyIncrease'],
        message: 'mayOnlyDecrease and mayOnlyIncrease together would forbid any change',
      });
    }
    if (limits.type !== undefined && limits.oneOf !== undefined) {
      limits.oneOf.forEach((value, index) => {
        if (typeof value !== limits.type) {
          ctx.addIssue({ code: 'custom', path: ['oneOf', index], message: `Expected a ${limits.type}` });
        }
      });
    }
  });
export type EditableField = z.infer<typeof EditableFieldSchema>;

/** Editable `details` fields by path; fields not listed may not change. */
export const EditableFieldsSchema = z.record(FieldPathSchema, EditableFieldSchema);
export type EditableFields = z.infer<typeof EditableFieldsSchema>;

const expirySeconds = z.number().int().min(1).max(MAX_POLICY_EXPIRY_SECONDS);

/** Zendesk's roles of its staff (`user.role`); end users never decide. */
export const ZENDESK_STAFF_ROLES = ['admin', 'agent'] as const;
export type ZendeskStaffRole = (typeof ZENDESK_STAFF_ROLES)[number];
/** Most group names one `deciders` may list. */
export const MAX_DECIDER_GROUPS = 20;

const groupName = z.string().trim().min(1, { message: 'Group name must not be empty' }).max(100);

/**
 * Approval authority: who may decide (approve or reject) what a rule sends to a person. A person may
 * decide when their Zendesk role is one of `roles` or they are a member of one of `groups` (by name);
 * both come from the Zendesk-verified identity, looked up through the account's Zendesk connection.
 */
export const DecidersSchema = z
  .strictObject({
    roles: z
      .array(z.enum(ZENDESK_STAFF_ROLES))
      .min(1)
      .max(ZENDESK_STAFF_ROLES.length)
      .optional()
      .describe('Zendesk roles that may decide: admin, or agent (every agent, custom roles and admins included)'),
    groups: z
      .array(groupName)
      .min(1)
      .max(MAX_DECIDER_GROUPS)
      .optional()
      .describe('Zendesk groups (by name) whose members may decide'),
    label: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .describe('What agents who may not decide read on the card, e.g. "Needs a team lead"'),
  })
  .superRefine((deciders, ctx) => {
    if (!deciders.roles && !deciders.groups) {
      ctx.addIssue({ code: 'custom', message: 'Give roles, groups or both: who may decide' });
    }
  });
export type Deciders = z.infer<typeof DecidersSchema>;

/** Ticket priorities an escalation may raise a ticket to (Zendesk's own values). */
export const ESCALATION_PRIORITIES = ['high', 'urgent'] as const;

/**
 * What happens when nobody decides within `afterSeconds` (before the expiry applies): more people may
 * decide, the ticket's priority is raised, and/or a group is told (the last two through the account's
 * Zendesk connection). It fires once, whichever gateway process sees it first, and is audited.
 */
export const EscalationSchema = z
  .strictObject({
    afterSeconds: expirySeconds.describe('Seconds after the request before it escalates'),
    deciders: DecidersSchema.optional().describe("Who may also decide once escalated (added to the rule's deciders)"),
    priority: z.enum(ESCALATION_PRIORITIES).optional().describe("Raise the ticket's priority to this"),
    notifyGroup: groupName
      .optional()
      .describe('Zendesk group to tell (internal note on the ticket and an app notification)'),
  })
  .superRefine((escalation, ctx) => {
    if (!escalation.deciders && !escalation.priority && !escalation.notifyGroup) {
      ctx.addIssue({ code: 'custom', message: 'Give deciders, priority or notifyGroup: what the escalation does' });
    }
  });
export type Escalation = z.infer<typeof EscalationSchema>;

/** One rule. Rules are tried in order; the first matching rule that is not a dry run decides. */
export const PolicyRuleSchema = z
  .strictObject({
    name: z.string().trim().min(1, { message: 'Rule name must not be empty' }).max(100).describe('Unique'),
    action: ActionPatternSchema.describe('Exact action name, or a glob where * matches any characters'),
    conditions: z
      .record(FieldPathSchema, ConditionSchema)
      .optional()
      .describe('All must hold; keyed by details field path'),
    outcome: z.enum(POLICY_OUTCOMES),
    note: z.string().max(2000).optional().describe('Decision note for approve/reject; shown to the person otherwise'),
    expiresInSeconds: expirySeconds.optional().describe('Expiry of approvals this rule sends to a person'),
    dryRun: z.boolean().optional().describe('Record what the rule would have done; a person still decides'),
    editableFields: EditableFieldsSchema.optional().describe('Bounded edits for approvals this rule matches'),
    approvals: z
      .number()
      .int()
      .min(2, { message: 'approvals is the number of distinct approvers, at least 2 (leave it out for one)' })
      .max(MAX_APPROVALS_REQUIRED)
      .optional()
      .describe('Quorum: how many distinct agents must approve (any one rejection ends it); default 1'),
    deciders: DecidersSchema.optional().describe('Approval authority: who may decide; default: any agent'),
    escalation: EscalationSchema.optional().describe('What happens when nobody decides in time'),
    notify: NotifySchema.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.dryRun === true && rule.outcome === 'require_human') {
      ctx.addIssue({ code: 'custom', path: ['dryRun'], message: 'dryRun applies to approve or reject rules' });
    }
    if (rule.expiresInSeconds !== undefined && (rule.outcome !== 'require_human' || rule.dryRun === true)) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresInSeconds'],
        message: 'expiresInSeconds applies only to rules with outcome require_human',
      });
    }
    if (rule.approvals !== undefined && (rule.outcome !== 'require_human' || rule.dryRun === true)) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals'],
        message: 'approvals applies only to rules with outcome require_human',
      });
    }
    for (const field of ['deciders', 'escalation', 'notify'] as const) {
      if (rule[field] !== undefined && (rule.outcome !== 'require_human' || rule.dryRun === true)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} applies only to rules with outcome require_human`,
        });
      }
    }
    if (rule.escalation?.deciders && !rule.deciders) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', 'deciders'],
        message:
          "escalation.deciders widens the rule's deciders: give the rule deciders (without them any agent may decide)",
      });
    }
    if (
      rule.escalation &&
      rule.expiresInSeconds !== undefined &&
      rule.escalation.afterSeconds >= rule.expiresInSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['escalation', 'afterSeconds'],
        message: `afterSeconds must be below the rule's expiresInSeconds (${rule.expiresInSeconds}): an expired approval cannot escalate`,
      });
    }
  });
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

/** An account's policy, as `policy set` reads it from a JSON file. */
export const PolicySchema = z
  .strictObject({
    rules: z.array(PolicyRuleSchema).max(MAX_POLICY_RULES),
    expiries: z
      .record(ActionPatternSchema, expirySeconds)
      .optional()
      .describe('Per-action expiry in seconds by action pattern; an exact name beats globs, then the longest glob'),
  })
  .superRefine((policy, ctx) => {
    const seen = new Map<string, number>();
    policy.rules.forEach((rule, index) => {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `Rule name "${rule.name}" is already used by rules[${first}]`,
        });
      } else seen.set(rule.name, index);
    });
  });
export type Policy = z.infer<typeof PolicySchema>;

/** A policy file: any JSON value, rejected with prototype keys before the schema runs. */
export const PolicyFileSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const issue of findJsonIssues(value))
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .pipe(PolicySchema);

/** What a dry-run rule would have done. */
export const DryRunResultSchema = z.object({ rule: z.string(), wouldHave: z.enum(['approve', 'reject']) });
export type DryRunResult = z.infer<typeof DryRunResultSchema>;

/** The policy's verdict on one request, as recorded on the approval and in its audit trail. */
export const PolicyVerdictSchema = z.object({
  outcome: z.enum(POLICY_OUTCOMES),
  rule: z.string().nullable().describe('The deciding rule; null when no rule matched (a person decides)'),
  dryRun: z.array(DryRunResultSchema),
  policyVersion: z.number().int().nullable().describe('null when the account has no policy'),
  approvalsRequired: z
    .number()
    .int()
    .min(2)
    .max(MAX_APPROVALS_REQUIRED)
    .optional()
    .describe('Distinct approvers the deciding rule asks for; absent: one'),
  deciders: DecidersSchema.optional().describe("The deciding rule's approval authority; absent: any agent"),
  escalation: EscalationSchema.optional().describe("The deciding rule's escalation; absent: none"),
  notify: NotifySchema.optional().describe(
    "Where the deciding rule announces the approval; absent: the account's channel",
  ),
});
export type PolicyVerdict = z.infer<typeof PolicyVerdictSchema>;

/** A policy problem located in the file: the rule (index and name) and the field inside it. */
export type PolicyError = FieldError & { rule: { index: number; name: string | null } | null; field: string };

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/**
 * Locates each zod issue of a policy file: which rule (by index and name, from the raw input) and
 * which field, e.g. `rules[0] "small-refunds": conditions.amount.lte: Expected number`.
 */
export function policyErrors(error: z.ZodError, input: unknown): PolicyError[] {
  const flat: { path: PropertyKey[]; message: string }[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) flat.push({ path: [...issue.path, key], message: 'Unknown field' });
    } else if (issue.code === 'invalid_key') {
      flat.push({ path: issue.path, message: issue.issues[0]?.message ?? issue.message });
    } else flat.push({ path: issue.path, message: issue.message });
  }
  const rules = (input as { rules?: unknown } | null)?.rules;
  return flat.map(({ path, message }) => {
    const index = path[0] === 'rules' && typeof path[1] === 'number' ? path[1] : null;
    if (index === null) return { path: pathText(path), rule: null, field: pathText(path), message };
    const raw = Array.isArray(rules) ? (rules[index] as { name?: unknown } | undefined) : undefined;
    const name = typeof raw?.name === 'string' ? raw.name : null;
    return { path: pathText(path), rule: { index, name }, field: pathText(path.slice(2)), message };
  });
}

/** One line per problem: `rules[1] "no-deletes": outcome: Invalid option…`. */
export function formatPolicyErrors(errors: PolicyError[]): string {
  return errors
    .map((e) => {
      if (!e.rule) return `${e.field || '(policy)'}: ${e.message}`;
      const name = e.rule.name === null ? '(unnamed)' : JSON.stringify(e.rule.name);
      return `rules[${e.rule.index}] ${name}: ${e.field || '(rule)'}: ${e.message}`;
    })
    .join('\n');
}

/** Parses a policy file's JSON value; on failure, errors name the rule and field. */
export function parsePolicy(
  input: unknown,
): { success: true; data: Policy } | { success: false; errors: PolicyError[] } {
  const result = PolicyFileSchema.safeParse(input);
  if (result.success) return { success: true, data: result.data };
  return { success: false, errors: policyErrors(result.error, input) };
}

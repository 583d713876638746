import { z } from 'zod';
import { text } from './json.schema.js';
import { ACTION_WHEN, EXECUTE_METHODS } from './outcome.schema.js';

/**
 * Actions Cheqpoint carries out itself once a person decides (README "Late decisions: Cheqpoint
 * carries out the action"): per account, an `actions.json` says how an approved action is executed
 * (one HTTP request) and what the customer is told (a public reply on the ticket).
 */

// The approval's view of what happens once decided (outcome plan, execution, customer reply) is in its own
// module: the Zendesk app parses approvals with it, and this file's templates and file schemas stay out of
// the app's first load.
export * from './outcome.schema.js';

/** What a template may name: `details.<path>`, `decisionNote`, `approvalId`, `ticketId`, `secrets.<name>`. */
export const TEMPLATE_ROOTS = ['details', 'decisionNote', 'approvalId', 'ticketId', 'secrets'] as const;

/** A secret's name: what `{{secrets.<name>}}` and `secret set <accountId> <name>` use. */
export const SECRET_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** One `{{…}}` of a template. */
export type TemplateRef =
  | { kind: 'details'; path: string[] }
  | { kind: 'decisionNote' | 'approvalId' | 'ticketId' }
  | { kind: 'secret'; name: string };

/** A template cut into literal text and references; `error` says what is malformed. */
export type ParsedTemplate = { parts: (string | TemplateRef)[] } | { error: string };

const REF_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

function parseRef(expression: string): TemplateRef | string {
  const segments = expression.split('.');
  const [root, ...rest] = segments;
  if (segments.some((s) => s === '')) return `"{{${expression}}}" is not a name like details.amount`;
  switch (root) {
    case 'details':
      if (rest.length === 0) return '"{{details}}" needs a field, e.g. {{details.amount}}';
      return { kind: 'details', path: rest };
    case 'decisionNote':
    case 'approvalId':
    case 'ticketId':
      if (rest.length > 0) return `"{{${expression}}}": ${root} has no fields`;
      return { kind: root };
    case 'secrets': {
      const name = rest.join('.');
      if (rest.length !== 1 || !SECRET_NAME_PATTERN.test(name)) {
        return `"{{${expression}}}" needs one secret name, e.g. {{secrets.billing}}`;
      }
      return { kind: 'secret', name };
    }
    default:
      return `"{{${expression}}}" is unknown (use details.<field>, decisionNote, approvalId, ticketId or secrets.<name>)`;
  }
}

/** Cuts a template into text and `{{…}}` references; a stray `{{` or `}}`, or an unknown name, is an error. */
export function parseTemplate(template: string): ParsedTemplate {
  const parts: (string | TemplateRef)[] = [];
  let last = 0;
  for (const match of template.matchAll(REF_PATTERN)) {
    const literal = template.slice(last, match.index);
    if (literal.includes('{{') || literal.includes('}}')) return { error: 'has an unclosed {{ or a stray }}' };
    if (literal) parts.push(literal);
    const ref = parseRef(match[1] ?? '');
    if (typeof ref === 'string') return { error: ref };
    parts.push(ref);
    last = (match.index ?? 0) + match[0].length;
  }
  const tail = template.slice(last);
  if (tail.includes('{{') || tail.includes('}}')) return { error: 'has an unclosed {{ or a stray }}' };
  if (tail) parts.push(tail);
  return { parts };
}

/** The secret names a template uses. */
export function secretsOf(template: string): string[] {
  const parsed = parseTemplate(template);
  if ('error' in parsed) return [];
  return parsed.parts.flatMap((p) => (typeof p !== 'string' && p.kind === 'secret' ? [p.name] : []));
}

/** A string field that is a template: checked when the file is read, so a bad one names its field. */
const templateText = (max: number) =>
  text(max).superRefine((value, ctx) => {
    const parsed = parseTemplate(value);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: `Template ${parsed.error}` });
  });

/** Every string inside a JSON body template, with its path, checked as a template. */
const BodyTemplateSchema = z.unknown().superRefine((value, ctx) => {
  const walk = (node: unknown, path: (string | number)[], depth: number) => {
    if (depth > 16) {
      ctx.addIssue({ code: 'custom', path, message: 'Nesting deeper than 16 levels' });
      return;
    }
    if (typeof node === 'string') {
      const parsed = parseTemplate(node);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', path, message: `Template ${parsed.error}` });
    } else if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i], depth + 1));
    else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) walk(item, [...path, key], depth + 1);
    } else if (node !== null && typeof node !== 'number' && typeof node !== 'boolean') {
      ctx.addIssue({ code: 'custom', path, message: 'Expected JSON' });
    }
  };
  walk(value, [], 0);
});

/** Header names Cheqpoint sets itself, so a file cannot. */
const RESERVED_HEADERS = ['idempotency-key', 'content-type', 'content-length', 'host', 'transfer-encoding'];

/**
 * The request that carries out an approved action. The scheme and host of `url` are literal (no
 * template), so what the sidebar shows before deciding ("will execute POST billing.example.com") is
 * what is sent, and the SSRF rules of callbacks apply to a known host. `Idempotency-Key: <approvalId>`
 * is always added.
 */
export const ActionExecuteSchema = z
  .strictObject({
    method: z.enum(EXECUTE_METHODS).default('POST').describe('HTTP method'),
    url: templateText(2048)
      .pipe(z.string().min(1))
      .superRefine((value, ctx) => {
        const origin = /^(https?):\/\/([^/?#{}]+)(?=[/?#]|$)/i.exec(value);
        if (!origin) {
          ctx.addIssue({
            code: 'custom',
            message: 'Must start with https://<host> (scheme and host without templates)',
          });
        }
      })
      .describe('Absolute URL; templates only after the host'),
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, { message: 'Not an HTTP header name' }),
        templateText(4096),
      )
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          if (RESERVED_HEADERS.includes(name.toLowerCase())) {
            ctx.addIssue({ code: 'custom', path: [name], message: `Cheqpoint sets ${name} itself` });
          }
        }
      })
      .optional()
      .describe('Request headers; values may use templates ({{secrets.<name>}} for credentials)'),
    body: BodyTemplateSchema.optional().describe(
      'JSON body; a string that is exactly one {{…}} becomes that value with its JSON type',
    ),
    /** The system's name as the sidebar says it ("in Billing"); default: the URL's host. */
    name: text(60).pipe(z.string().min(1)).optional().describe('Display name of the system (default: the host)'),
  })
  .describe('The HTTP request that carries out an approved action');
export type ActionExecute = z.output<typeof ActionExecuteSchema>;

/** The public reply on the ticket, per outcome (`{{decisionNote}}` is empty when the decider left none). */
export const ActionReplySchema = z
  .strictObject({
    approved: templateText(10_000).pipe(z.string().min(1)).optional(),
    rejected: templateText(10_000).pipe(z.string().min(1)).optional(),
  })
  .describe('Public reply added to the ticket per outcome');
export type ActionReply = z.output<typeof ActionReplySchema>;

/** How one action is carried out once decided. */
export const ActionConfigSchema = z
  .strictObject({
    action: text(200).pipe(z.string().min(1)).describe('The `action` of the approvals it applies to'),
    execute: ActionExecuteSchema.optional(),
    when: z.enum(ACTION_WHEN).default('late'),
    reply: ActionReplySchema.optional(),
  })
  .superRefine((config, ctx) => {
    if (!config.execute && !config.reply?.approved && !config.reply?.rejected) {
      ctx.addIssue({ code: 'custom', path: ['execute'], message: 'An action needs execute, reply or both' });
    }
  });
export type ActionConfig = z.output<typeof ActionConfigSchema>;

/** Most actions one account may describe. */
export const MAX_ACTIONS = 100;

/** The file of `action set <accountId> --file actions.json`. */
export const ActionsFileSchema = z
  .strictObject({ actions: z.array(ActionConfigSchema).max(MAX_ACTIONS) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.actions.forEach((config, index) => {
      if (seen.has(config.action)) {
        ctx.addIssue({
          code: 'custom',
          path: ['actions', index, 'action'],
          message: `Duplicate action "${config.action}"`,
        });
      }
      seen.add(config.action);
    });
  });
export type ActionsFile = z.output<typeof ActionsFileSchema>;

/** Every secret name an action uses (headers, URL, body, replies). */
export function secretNamesOf(config: ActionConfig): string[] {
  const strings: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === 'string') strings.push(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(config.execute ?? null);
  walk(config.reply ?? null);
  return [...new Set(strings.flatMap(secretsOf))];
}

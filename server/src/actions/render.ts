import { parseTemplate, type ActionExecute, type ExecuteMethod, type TemplateRef } from '@cheqpoint/shared';
import { valueAt } from '../policies/details-path.js';

/** What templates see: the approved details (modifiedDetails applied), the decision and the secrets. */
export type TemplateInput = {
  details: Record<string, unknown>;
  decisionNote: string | null;
  approvalId: string;
  ticketId: string | null;
  /** A secret's value by name; undefined when the account has none by that name. */
  secret: (name: string) => string | undefined;
};

/** A rendered request, exactly as it is sent (apart from the Idempotency-Key the sender adds). */
export type RenderedRequest = {
  method: ExecuteMethod;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
};

/** Templates that had no value: never sent with a hole in them. */
export class MissingValuesError extends Error {
  constructor(readonly missing: string[]) {
    super(`No value for ${missing.join(', ')}`);
    this.name = 'MissingValuesError';
  }
}

const nameOf = (ref: TemplateRef) => {
  switch (ref.kind) {
    case 'details':
      return `details.${ref.path.join('.')}`;
    case 'secret':
      return `secrets.${ref.name}`;
    default:
      return ref.kind;
  }
};

/** A reference's value: undefined when it has none (a null detail is none too, except as a whole body value). */
function valueOf(ref: TemplateRef, input: TemplateInput): unknown {
  switch (ref.kind) {
    case 'details':
      return valueAt(input.details, ref.path.join('.'));
    case 'decisionNote':
      // A decision without a note reads as empty text ("Your plan is cancelled. {{decisionNote}}").
      return input.decisionNote ?? '';
    case 'approvalId':
      return input.approvalId;
    case 'ticketId':
      return input.ticketId ?? undefined;
    case 'secret':
      return input.secret(ref.name);
  }
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

type Where = 'url' | 'header' | 'text';

function renderText(template: string, input: TemplateInput, where: Where, missing: string[]): string {
  const parsed = parseTemplate(template);
  if ('error' in parsed) throw new Error(`Template ${parsed.error}`);
  return parsed.parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const value = valueOf(part, input);
      if (value === undefined || value === null) {
        missing.push(nameOf(part));
        return '';
      }
      const text = asText(value);
      if (where === 'url') return encodeURIComponent(text);
      if (where === 'header' && /[\r\n\0]/.test(text)) {
        missing.push(`${nameOf(part)} (a line break cannot go in a header)`);
        return '';
      }
      return text;
    })
    .join('');
}

/** A JSON body template: strings rendered; one that is exactly `{{x}}` takes x's JSON value and type. */
function renderBody(node: unknown, input: TemplateInput, missing: string[]): unknown {
  if (typeof node === 'string') {
    const parsed = parseTemplate(node);
    if (!('error' in parsed) && parsed.parts.length === 1 && typeof parsed.parts[0] !== 'string') {
      const ref = parsed.parts[0] as TemplateRef;
      const value = valueOf(ref, input);
      if (value === undefined) missing.push(nameOf(ref));
      return value ?? null;
    }
    return renderText(node, input, 'text', missing);
  }
  if (Array.isArray(node)) return node.map((item) => renderBody(item, input, missing));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, renderBody(v, input, missing)]));
  }
  return node;
}

/** The request of an execute template; throws MissingValuesError naming every value it lacks. */
export function renderRequest(execute: ActionExecute, input: TemplateInput): RenderedRequest {
  const missing: string[] = [];
  const url = renderText(execute.url, input, 'url', missing);
  const headers = Object.fromEntries(
    Object.entries(execute.headers ?? {}).map(([name, value]) => [name, renderText(value, input, 'header', missing)]),
  );
  const body = execute.body === undefined ? undefined : JSON.stringify(renderBody(execute.body, input, missing));
  if (missing.length > 0) throw new MissingValuesError([...new Set(missing)]);
  return { method: execute.method, url, headers, body };
}

/** A reply template's text; throws MissingValuesError naming every value it lacks. */
export function renderReply(template: string, input: TemplateInput): string {
  const missing: string[] = [];
  const text = renderText(template, input, 'text', missing);
  if (missing.length > 0) throw new MissingValuesError([...new Set(missing)]);
  return text;
}

/** The approved details: the request's, with the reviewer's `modifiedDetails` over them. */
export function approvedDetails(details: Record<string, unknown>, modified: Record<string, unknown> | null) {
  return modified ? { ...details, ...modified } : details;
}

/** `host[:port]` of the execute URL (the scheme and host are literal, see ActionExecuteSchema). */
export function hostOf(execute: Pick<ActionExecute, 'url'>): string {
  const origin = /^(https?:\/\/[^/?#{}]+)/i.exec(execute.url)?.[1] ?? execute.url;
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

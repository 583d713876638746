import type { UiKey } from './i18n';

/** How a top-level detail is edited: typed inputs for scalars, JSON text for anything nested or null. */
export const FIELD_KINDS = ['string', 'number', 'boolean', 'json'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

/** Bounds a bounded-edit rule puts on one detail (all optional). */
export interface IFieldLimit {
  /** Smallest allowed number. */
  min?: number;
  /** Largest allowed number. */
  max?: number;
  /** Longest allowed string. */
  maxLength?: number;
  /** The only values allowed. */
  allowed?: unknown[];
  /** The field may not be changed at all. */
  isLocked?: boolean;
}

export type FieldLimits = Record<string, IFieldLimit>;

export interface IFieldSpec {
  key: string;
  kind: FieldKind;
  original: unknown;
  limit: IFieldLimit;
}

/** Raw form value: text for string, number and JSON fields; a boolean for checkboxes. */
export type FieldValue = string | boolean;

export interface IFieldError {
  key: UiKey;
  values?: Record<string, string | number>;
}

export interface IChange {
  key: string;
  type: 'changed' | 'added' | 'removed';
  before?: unknown;
  after?: unknown;
}

export function kindOf(value: unknown): FieldKind {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'json';
}

/** Details that link the approval to its ticket: never changed by a person (the gateway keys on them). */
export const TICKET_DETAIL_KEYS: readonly string[] = ['ticket_id', 'ticketId'];

/** One form field per top-level detail, in the order the AI agent sent them; the ticket link is locked. */
export function fieldSpecs(details: Record<string, unknown>, limits: FieldLimits = {}): IFieldSpec[] {
  return Object.entries(details).map(([key, original]) => ({
    key,
    kind: kindOf(original),
    original,
    limit: TICKET_DETAIL_KEYS.includes(key) ? { isLocked: true } : (limits[key] ?? {}),
  }));
}

/** The initial form value of a field. */
export function initialValue(spec: IFieldSpec): FieldValue {
  switch (spec.kind) {
    case 'string':
      return spec.original as string;
    case 'number':
      return String(spec.original);
    case 'boolean':
      return spec.original as boolean;
    default:
      return JSON.stringify(spec.original, null, 2);
  }
}

export const initialValues = (specs: IFieldSpec[]): Record<string, FieldValue> =>
  Object.fromEntries(specs.map((spec) => [spec.key, initialValue(spec)]));

/** Stable JSON text (sorted keys) for equality checks. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

const isEqual = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/** Parses one field and checks its limits. */
export function parseField(spec: IFieldSpec, raw: FieldValue): { value: unknown } | { error: IFieldError } {
  let value: unknown;
  if (spec.kind === 'boolean') value = raw === true;
  else if (spec.kind === 'string') value = String(raw);
  else if (spec.kind === 'number') {
    const text = String(raw).trim();
    value = text === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) return { error: { key: 'invalid_number' } };
  } else {
    try {
      value = JSON.parse(String(raw));
    } catch {
      return { error: { key: 'invalid_json' } };
    }
  }
  const { limit } = spec;
  if (limit.isLocked && !isEqual(value, spec.original)) return { error: { key: 'limit_locked' } };
  if (typeof value === 'number') {
    if (limit.min !== undefined && value < limit.min)
      return { error: { key: 'limit_min', values: { min: limit.min } } };
    if (limit.max !== undefined && value > limit.max)
      return { error: { key: 'limit_max', values: { max: limit.max } } };
  }
  if (typeof value === 'string' && limit.maxLength !== undefined && value.length > limit.maxLength) {
    return { error: { key: 'limit_max_length', values: { max: limit.maxLength } } };
  }
  if (limit.allowed && !limit.allowed.some((allowed) => isEqual(allowed, value))) {
    return { error: { key: 'limit_allowed', values: { values: limit.allowed.map((v) => String(v)).join(', ') } } };
  }
  return { value };
}

/** The modified details the form describes, with an error per invalid field. */
export function buildModifiedDetails(
  specs: IFieldSpec[],
  values: Record<string, FieldValue>,
): { details: Record<string, unknown>; errors: Record<string, IFieldError> } {
  const details: Record<string, unknown> = {};
  const errors: Record<string, IFieldError> = {};
  for (const spec of specs) {
    const result = parseField(spec, values[spec.key] ?? initialValue(spec));
    if ('error' in result) {
      errors[spec.key] = result.error;
      details[spec.key] = spec.original;
    } else {
      details[spec.key] = result.value;
    }
  }
  return { details, errors };
}

/** Top-level differences between two detail objects (nested values compared as canonical JSON). */
export function diffDetails(before: Record<string, unknown>, after: Record<string, unknown>): IChange[] {
  const changes: IChange[] = [];
  for (const [key, value] of Object.entries(before)) {
    if (!(key in after)) changes.push({ key, type: 'removed', before: value });
    else if (!isEqual(value, after[key])) changes.push({ key, type: 'changed', before: value, after: after[key] });
  }
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) changes.push({ key, type: 'added', after: value });
  }
  return changes;
}

import type { EditableField, EditableFields, FieldError } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import { jsonEqual, numeric, valueAt } from './details-path.js';

/** Most reasons reported for one `modifiedDetails`. */
export const MAX_EDIT_REASONS = 20;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const show = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));

/** Why a new value breaks one field's limits, or null when it is within them. */
function limitBreach(limits: EditableField, before: unknown, after: unknown): string | null {
  if (after === undefined) return before === undefined ? null : 'may not be removed';
  if (limits.type !== undefined && typeof after !== limits.type) return `must be a ${limits.type}`;
  if (limits.oneOf !== undefined && !limits.oneOf.some((option) => option === after)) {
    return `must be one of ${limits.oneOf.map((o) => JSON.stringify(o)).join(', ')}`;
  }
  const isNumeric =
    limits.min !== undefined ||
    limits.max !== undefined ||
    limits.mayOnlyDecrease === true ||
    limits.mayOnlyIncrease === true;
  if (!isNumeric) return null;
  const next = numeric(after);
  if (next === null) return 'must be a number';
  if (limits.min !== undefined && next < limits.min) return `must be at least ${limits.min}`;
  if (limits.max !== undefined && next > limits.max) return `must be at most ${limits.max}`;
  if (limits.mayOnlyDecrease === true || limits.mayOnlyIncrease === true) {
    const was = numeric(before);
    if (was === null) return `cannot be compared with the original value (${show(before)})`;
    if (limits.mayOnlyDecrease === true && next > was)
      return `may only decrease (was ${show(before)}, got ${show(after)})`;
    if (limits.mayOnlyIncrease === true && next < was)
      return `may only increase (was ${show(before)}, got ${show(after)})`;
  }
  return null;
}

/** Paths (as segment lists) where `a` and `b` differ, outside the editable paths. */
function lockedChanges(a: unknown, b: unknown, path: string[], editable: Set<string>, out: string[][]) {
  if (out.length >= MAX_EDIT_REASONS) return;
  if (path.length > 0 && editable.has(path.join('.'))) return;
  if (isPlainObject(a) || isPlainObject(b)) {
    if (isPlainObject(a) && isPlainObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        lockedChanges(
          Object.hasOwn(a, key) ? a[key] : undefined,
          Object.hasOwn(b, key) ? b[key] : undefined,
          [...path, key],
          editable,
          out,
        );
      }
      return;
    }
    // An object added or removed as a whole: compare its fields one by one, so editable ones stay allowed.
    const inside = path.length > 0 ? `${path.join('.')}.` : '';
    const isAddedOrRemoved = a === undefined || b === undefined;
    if (!isAddedOrRemoved || ![...editable].some((p) => p.startsWith(inside))) {
      out.push(path);
      return;
    }
    const obj = (isPlainObject(a) ? a : b) as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const before = isPlainObject(a) ? a[key] : undefined;
      const after = isPlainObject(b) ? b[key] : undefined;
      lockedChanges(before, after, [...path, key], editable, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, index) => lockedChanges(item, b[index], [...path, String(index)], editable, out));
    return;
  }
  if (!jsonEqual(a, b)) out.push(path);
}

/** `modifiedDetails.items[0].sku` from segments. */
function displayPath(prefix: string, segments: string[]): string {
  let out = prefix;
  for (const segment of segments) out += /^\d+$/.test(segment) ? `[${segment}]` : out ? `.${segment}` : segment;
  return out;
}

/**
 * Checks a reviewer's `modifiedDetails` against the bounds of a policy rule. `limits` null means no
 * bounds (any edit). Otherwise only the listed fields may change, each within its limits; a field
 * unchanged from the original always passes. Numeric limits accept decimal strings ("15.00") unless
 * `type: "number"` is set. Returns one reason per offending field (empty = allowed).
 */
export function checkModifiedDetails(
  limits: EditableFields | null,
  original: Record<string, unknown>,
  modified: Record<string, unknown>,
  prefix = 'modifiedDetails',
): FieldError[] {
  if (limits === null) return [];
  const reasons: FieldError[] = [];
  for (const [path, fieldLimits] of Object.entries(limits)) {
    const before = valueAt(original, path);
    const after = valueAt(modified, path);
    if (jsonEqual(before, after)) continue;
    const breach = limitBreach(fieldLimits, before, after);
    if (breach) reasons.push({ path: displayPath(prefix, path.split('.')), message: `${path} ${breach}` });
  }
  const locked: string[][] = [];
  lockedChanges(original, modified, [], new Set(Object.keys(limits)), locked);
  for (const segments of locked) {
    const path = segments.join('.');
    reasons.push({
      path: displayPath(prefix, segments),
      message: `${path} is not editable (only ${Object.keys(limits).join(', ') || 'no fields'} may change)`,
    });
  }
  return reasons.slice(0, MAX_EDIT_REASONS);
}

/** Throws the 422 the decide endpoint answers when `modifiedDetails` is outside the bounds. */
export function assertModifiedDetailsAllowed(
  limits: EditableFields | null,
  original: Record<string, unknown>,
  modified: Record<string, unknown>,
): void {
  const reasons = checkModifiedDetails(limits, original, modified);
  if (reasons.length === 0) return;
  throw new AppError(
    'unprocessable',
    422,
    `modifiedDetails is outside what the policy allows: ${reasons.map((r) => r.message).join('; ')}`,
    { errors: reasons },
  );
}

/** Segments of a dotted `details` path: `customer.tier` → ['customer', 'tier']. */
export const pathSegments = (path: string) => path.split('.');

/** Own-property lookup only (never the prototype); array items by numeric segment. */
function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, segment)) {
    return (value as Record<string, unknown>)[segment];
  }
  return undefined;
}

/** The value at a dotted path in `details`, or undefined when any part is missing. */
export function valueAt(details: unknown, path: string): unknown {
  let current = details;
  for (const segment of pathSegments(path)) {
    current = child(current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every(
    (key) =>
      Object.hasOwn(b, key) && jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/** A number, or a plain decimal string such as "15" or "15.00" (flows often send numbers as text); else null. */
export function numeric(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d{1,15}(\.\d{1,15})?$/.test(value)) return Number(value);
  return null;
}

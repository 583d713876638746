import type { z } from 'zod';
import type { FieldError } from '@cheqpoint/shared';
import { validationError } from './app-error.js';

/** `details.items[0].sku` from a zod path. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Field errors of a zod failure, one per unknown key. */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...issue.path, key], prefix), message: 'Unknown field' });
      }
    } else {
      out.push({ path: formatPath(issue.path, prefix) || prefix, message: issue.message });
    }
  }
  return out;
}

/** Parses `value` with `schema`, or throws a 400 naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(fieldErrors(result.error, prefix));
  return result.data;
}

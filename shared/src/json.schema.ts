import { z } from 'zod';

/** Keys that could change an object's prototype when a payload is later merged or copied. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Largest nesting depth accepted in a free-form payload. */
export const MAX_JSON_DEPTH = 32;

type JsonIssue = { path: (string | number)[]; message: string };

/**
 * Walks a parsed JSON value and reports what cannot round-trip exactly through storage:
 * prototype keys, non-finite numbers, negative zero and excessive depth.
 */
export function findJsonIssues(value: unknown, path: (string | number)[] = [], depth = 0): JsonIssue[] {
  if (depth > MAX_JSON_DEPTH) return [{ path, message: `Nesting deeper than ${MAX_JSON_DEPTH} levels` }];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return [{ path, message: 'Number is out of range' }];
    if (Object.is(value, -0)) return [{ path, message: 'Negative zero cannot be stored exactly' }];
    return [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => findJsonIssues(item, [...path, index], depth + 1));
  }
  if (value !== null && typeof value === 'object') {
    const issues: JsonIssue[] = [];
    for (const key of Object.keys(value)) {
      if ((FORBIDDEN_KEYS as readonly string[]).includes(key)) {
        issues.push({ path: [...path, key], message: `Key "${key}" is not allowed` });
        continue;
      }
      issues.push(...findJsonIssues((value as Record<string, unknown>)[key], [...path, key], depth + 1));
    }
    return issues;
  }
  return [];
}

/**
 * Any JSON object, kept as given (dotted keys, `$` keys and nested arrays included).
 * The gateway stores it as a JSON string, so it round-trips exactly.
 */
export const JsonObjectSchema = z
  .custom<Record<string, unknown>>((value) => value !== null && typeof value === 'object' && !Array.isArray(value), {
    message: 'Expected a JSON object',
  })
  .superRefine((value, ctx) => {
    for (const issue of findJsonIssues(value)) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
  })
  .meta({ type: 'object', additionalProperties: true });

/** Text stored as a database string: well-formed Unicode, no NUL. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.isWellFormed(), { message: 'Text contains an unpaired surrogate' })
    .refine((s) => !s.includes('\u0000'), { message: 'Text contains a NUL character' });

import { TIME_TO_DECISION_BUCKETS } from '@cheqpoint/shared';

/** The writer of the rollups the upgrade in place counts from stored approvals. */
export const UPGRADE_WRITER = 'upgrade';

/**
 * A name as a stored key: FerretDB (and MongoDB update paths) take no `.` in a key and no leading
 * `$`, so both are percent-encoded, like everything encodeURIComponent encodes.
 */
export const encodeKey = (name: string) => encodeURIComponent(name).replace(/\./g, '%2E');
export const decodeKey = (key: string) => decodeURIComponent(key);

/** The UTC day of a time: `2026-12-07`. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** The last `days` UTC days up to `today`, oldest first. */
export function daysUpTo(today: Date, days: number): string[] {
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Array.from({ length: days }, (_, i) => dayOf(new Date(end - (days - 1 - i) * 86_400_000)));
}

export const rollupId = (accountId: string, day: string, writer: string) => `${accountId}:${day}:${writer}`;

/** The time-to-decision bucket of a duration: the first bound at or above it (the last: above all). */
export function timeBucket(seconds: number): number {
  const i = TIME_TO_DECISION_BUCKETS.findIndex((bound) => seconds <= bound);
  return i === -1 ? TIME_TO_DECISION_BUCKETS.length : i;
}

/**
 * Bounds of the numeric-detail buckets: 0, then 1, 2, 5, 10, 20, 50 … up to 5·10^9 (a bucket holds the
 * values above the bound before it, up to its own), so a suggested `lte` bound is a round number.
 */
export const VALUE_BOUNDS: readonly number[] = [
  0,
  ...Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat(),
];

/** The value bucket of a number: the first bound at or above it (the last: above 5·10^9). */
export function valueBucket(value: number): number {
  const i = VALUE_BOUNDS.findIndex((bound) => value <= bound);
  return i === -1 ? VALUE_BOUNDS.length : i;
}

/** Most numeric details counted per request, and their longest name. */
const MAX_NUMERIC_FIELDS = 8;
const MAX_FIELD_NAME = 64;

/**
 * The numeric details a policy condition can bound (`amount`), from a request's `details`: top-level
 * fields holding a finite number, at most 8, in the order given.
 */
export function numericDetails(detailsJson: string): [string, number][] {
  let details: unknown;
  try {
    details = JSON.parse(detailsJson);
  } catch {
    return [];
  }
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return [];
  return Object.entries(details as Record<string, unknown>)
    .filter(
      (entry): entry is [string, number] =>
        typeof entry[1] === 'number' && Number.isFinite(entry[1]) && entry[0].length <= MAX_FIELD_NAME,
    )
    .slice(0, MAX_NUMERIC_FIELDS);
}

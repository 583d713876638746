import { formatNumber } from '../../lib/format';

/** A share from 0 to 1 as a percentage with at most one decimal (`0.6667` → `66.7%`, `66,7 %`); null: none. */
export function formatShare(share: number | null, locale: string): string | null {
  if (share === null) return null;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

/** The unit a duration reads in: seconds under a minute, minutes under an hour, hours under two days, then days. */
const DURATION_STEPS: [Intl.NumberFormatOptions['unit'] & string, number, number][] = [
  ['second', 1, 60],
  ['minute', 60, 60],
  ['hour', 3600, 48],
  ['day', 24 * 3600, Infinity],
];

/**
 * A time to decision, short, in the agent's locale: `12 sec`, `4.5 min`, `1.5 hr`, `3 days` (`12 Sek.`,
 * `4,5 Min.`, `1,5 Std.` in German), one decimal at most; null: no decision to measure.
 */
export function formatDuration(seconds: number | null, locale: string): string | null {
  if (seconds === null) return null;
  const [unit, size] = DURATION_STEPS.find(([, size, limit]) => seconds / size < limit) ?? DURATION_STEPS[0]!;
  const value = Math.round((seconds / size) * 10) / 10;
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(
    value,
  );
}

/** A count in the locale's digits (`1,234`, `1.234`). */
export const formatCount = (count: number, locale: string): string => formatNumber(count, locale);

/** A UTC day `2026-12-07` as the locale writes a date (`Dec 7`, `7. Dez.`), read in UTC so it never shifts. */
export function formatDay(day: string, locale: string, withYear = false): string {
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  }).format(new Date(`${day}T00:00:00Z`));
}

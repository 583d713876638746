/** `cancel_subscription` → `Cancel subscription`; `refundOrder` → `Refund order`. */
export function humanizeAction(action: string): string {
  const words = action
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : action;
}

/** `ticket_id` → `Ticket id`, for detail labels. */
export const humanizeKey = humanizeAction;

/** The steps of a relative time: each unit is used while its rounded value is below the limit. */
const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ['second', 1, 60],
  ['minute', 60, 60],
  ['hour', 3600, 48],
  ['day', 24 * 3600, 30],
  ['month', 30 * 24 * 3600, 12],
  ['year', 365 * 24 * 3600, Infinity],
];

/**
 * One rule for every relative time, so cards side by side read alike: seconds under a minute, minutes under
 * an hour, hours under two days ("in 24 hours", "in 47 hours"), then days, months and years. Each step
 * looks at the value rounded in its unit, so 59.6 minutes is "1 hour", never "60 minutes".
 */
export function relativeUnit(seconds: number): [number, Intl.RelativeTimeFormatUnit] {
  const sign = seconds < 0 ? -1 : 1;
  for (const [unit, size, limit] of RELATIVE_STEPS) {
    const value = Math.round(Math.abs(seconds) / size);
    if (value < limit) return [value === 0 ? 0 : sign * value, unit];
  }
  return [0, 'second']; // unreachable: the last step has no limit
}

/**
 * `at` relative to `now`: "in 3 minutes", "5 min. ago" (short), "now". [1] Always a number ("in 24 hours",
 * "in 2 days"), never Intl's words for some values ("tomorrow", German "übermorgen"), which made one card
 * say "Expires tomorrow" beside "in 23 hours"; only zero reads "now".
 */
export function formatRelativeTime(at: number, now: number, locale: string, style: 'long' | 'short' = 'long'): string {
  const [value, unit] = relativeUnit((at - now) / 1000);
  const numeric = value === 0 ? 'auto' : 'always'; // [1]
  return new Intl.RelativeTimeFormat(locale, { numeric, style }).format(value, unit);
}

/** "3 minutes ago", "in 2 hours", in the given locale (see formatRelativeTime). */
export function formatRelative(iso: string, now: number, locale: string): string {
  return formatRelativeTime(Date.parse(iso), now, locale);
}

/** Absolute date and time, for tooltips and `<time>` titles. */
export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A compact one-line rendering of any JSON value for lists and diffs. */
export function formatJson(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Like formatRelative for something that already happened: a time slightly ahead of `now` reads "now". */
export function formatAgo(iso: string, now: number, locale: string): string {
  return formatRelative(new Date(Math.min(Date.parse(iso), now)).toISOString(), now, locale);
}

/** How urgent an expiry is: `imminent` in the last minute, `soon` in the last 10 minutes. */
export type Urgency = 'expired' | 'imminent' | 'soon' | 'calm';

export function expiryUrgency(expiresAt: string, now: number): Urgency {
  const left = Date.parse(expiresAt) - now;
  if (left <= 0) return 'expired';
  if (left <= 60_000) return 'imminent';
  if (left <= 10 * 60_000) return 'soon';
  return 'calm';
}

/** Minor-unit digits of a currency: 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Digits after the point of a number as JavaScript writes it (`12.345` → 3); 20 for exponent forms. */
function decimalsOf(value: number): number {
  const text = String(value);
  if (text.includes('e')) return 20;
  return text.split('.')[1]?.length ?? 0;
}

/**
 * A number in the locale's digits and separators, every digit it was sent with kept: `1234.5` → `1,234.5`
 * (en), `1.234,5` (de); `minimumFractionDigits` keeps zeros a text value had (`"15.00"`).
 */
export function formatNumber(value: number, locale: string, minimumFractionDigits = 0): string {
  try {
    return new Intl.NumberFormat(locale, {
      minimumFractionDigits,
      maximumFractionDigits: Math.max(minimumFractionDigits, decimalsOf(value)),
    }).format(value);
  } catch {
    return String(value);
  }
}

/**
 * `€40.00` (en), `40,00 €` (de); null when the currency code is not one Intl knows. At least the currency's
 * own digits (or `fractionDigits`), and never fewer than the amount has: `12.345` EUR is `€12.345`, not
 * rounded to `€12.35` in front of the person deciding.
 */
export function formatMoney(amount: number, currency: string, locale: string, fractionDigits = 0): string | null {
  try {
    const minimum = Math.max(currencyDigits(currency), fractionDigits);
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: minimum,
      maximumFractionDigits: Math.max(minimum, decimalsOf(amount)),
    }).format(amount);
  } catch {
    return null;
  }
}

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

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "3 minutes ago", "in 2 hours", in the given locale (Intl.RelativeTimeFormat). */
export function formatRelative(iso: string, now: number, locale: string): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const formatter = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return formatter.format(Math.round(seconds / size), unit);
    }
  }
  return formatter.format(0, 'second');
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

/** `€40.00` (en), `40,00 €` (de); null when the currency code is not one Intl knows. */
export function formatMoney(amount: number, currency: string, locale: string): string | null {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    return null;
  }
}

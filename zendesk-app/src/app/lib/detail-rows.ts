import { TICKET_DETAIL_KEYS, canonicalJson } from './details-form';
import { humanizeKey } from './format';
import { CURRENCY_KEYS, currencyInside, isCentsKey, isCurrencyCode, moneyOf, usesCurrencyAround } from './money';

/** One line of the details list, as the agent reads it. */
export interface IDetailRow {
  key: string;
  label: string;
  /** The value shown (the approved one after an approval with changes); undefined when removed. */
  value: unknown;
  /**
   * ISO 4217 code of the money in `value` that has no currency of its own: the level's `currency` detail (then
   * not a row of its own) or the default currency. Nested levels and list items can name their own.
   */
  currency?: string;
  /** After an approval with changes: how this row differs from what the AI agent asked for. */
  change?: { type: 'changed' | 'added' | 'removed'; original?: unknown; originalCurrency?: string };
}

/** Keys that link an approval to its ticket: the agent is on that ticket (or the queue row names it). */
const TICKET_KEYS = TICKET_DETAIL_KEYS;

/** The currency key of a level: its own row only when no money there takes it (see usesCurrencyAround). */
const isCurrencyKey = (key: string) => (CURRENCY_KEYS as readonly string[]).includes(key);

/** `amount_cents` shown as money reads "Amount", not "Amount cents": the value is in major units by then. */
export function detailLabel(key: string, value: unknown, currency: string | null): string {
  const isConverted = isCentsKey(key) && moneyOf(key, value, currency) !== undefined;
  return humanizeKey(isConverted ? key.replace(/[_\-.]?cents$/i, '') : key);
}

/** The currency a row's money takes from its level, set on the row only when it has money that takes it. */
function currencyFor(key: string, value: unknown, currency: string | null): string | undefined {
  return currency !== null && usesCurrencyAround(key, value) ? currency : undefined;
}

/**
 * The rows of an approval's details (or of one nested level): the ticket link left out when it is the
 * approval's own ticket, money merged with its `currency` into one row, and, after an approval with changes,
 * the approved values with what was asked for beside them. `defaultCurrency` is the currency around this
 * level (the app setting at the top, the parent's inside).
 */
export function detailRows(
  details: Record<string, unknown>,
  options: {
    ticketId?: string | null;
    modified?: Record<string, unknown> | null;
    defaultCurrency?: string | null;
  } = {},
): IDetailRow[] {
  const modified = options.modified ?? null;
  const ticketId = options.ticketId ?? null;
  const around = options.defaultCurrency ?? null;
  const shown = modified ?? details;
  const isHidden = (key: string, value: unknown) =>
    TICKET_KEYS.includes(key) && ticketId !== null && String(value) === ticketId;
  const keys = [...Object.keys(shown), ...Object.keys(details).filter((key) => !(key in shown))];
  const shownCurrency = currencyInside(shown, around);
  const originalCurrency = currencyInside(details, around);
  const hasMoney = (source: Record<string, unknown>) =>
    Object.entries(source).some(([key, value]) => !isCurrencyKey(key) && usesCurrencyAround(key, value));
  const rows: IDetailRow[] = [];
  for (const key of keys) {
    const value = shown[key];
    const original = details[key];
    if (isHidden(key, key in shown ? value : original)) continue;
    // [1] the currency is part of each amount row; it keeps its own row only if it changed
    // (a currency that is not a code keeps its row: nothing shows as money in it)
    const isCurrencyMerged =
      isCurrencyKey(key) && isCurrencyCode(key in shown ? value : original) && hasMoney(shown) && hasMoney(details);
    const isChanged = modified !== null && canonicalJson(value) !== canonicalJson(original);
    if (isCurrencyMerged && !isChanged) continue;
    const row: IDetailRow = { key, label: detailLabel(key, key in shown ? value : original, shownCurrency), value };
    const currency = currencyFor(key, value, shownCurrency);
    if (currency) row.currency = currency;
    if (modified !== null && isChanged) {
      const type = !(key in details) ? 'added' : !(key in shown) ? 'removed' : 'changed';
      row.change = { type, ...(type !== 'added' ? { original } : {}) };
      const originalMoneyCurrency = currencyFor(key, original, originalCurrency);
      if (originalMoneyCurrency) row.change.originalCurrency = originalMoneyCurrency;
    }
    rows.push(row);
  }
  return rows;
}

import { TICKET_DETAIL_KEYS, canonicalJson } from './details-form';
import { humanizeKey } from './format';

/** One line of the details list, as the agent reads it. */
export interface IDetailRow {
  key: string;
  label: string;
  /** The value shown (the approved one after an approval with changes); undefined when removed. */
  value: unknown;
  /** ISO 4217 code when `value` is an amount in that currency (shown as one formatted row). */
  currency?: string;
  /** After an approval with changes: how this row differs from what the AI agent asked for. */
  change?: { type: 'changed' | 'added' | 'removed'; original?: unknown; originalCurrency?: string };
}

/** Keys that link an approval to its ticket: the agent is on that ticket (or the queue row names it). */
const TICKET_KEYS = TICKET_DETAIL_KEYS;

const isCurrencyCode = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z]{3}$/.test(value);
/** `amount`, `refund_amount`, `refundAmount`: numbers the `currency` detail applies to. */
export const isAmountKey = (key: string) => key === 'amount' || /(_amount|Amount)$/.test(key);

function currencyFor(details: Record<string, unknown>, key: string, value: unknown): string | undefined {
  const currency = details['currency'];
  return isAmountKey(key) && typeof value === 'number' && isCurrencyCode(currency) ? currency.toUpperCase() : undefined;
}

/**
 * The rows of an approval's details: the ticket link left out when it is the approval's own ticket,
 * amounts merged with `currency` into one row, and, after an approval with changes, the approved values
 * with what was asked for beside them.
 */
export function detailRows(
  details: Record<string, unknown>,
  options: { ticketId?: string | null; modified?: Record<string, unknown> | null } = {},
): IDetailRow[] {
  const modified = options.modified ?? null;
  const ticketId = options.ticketId ?? null;
  const shown = modified ?? details;
  const isHidden = (key: string, value: unknown) =>
    TICKET_KEYS.includes(key) && ticketId !== null && String(value) === ticketId;
  const keys = [...Object.keys(shown), ...Object.keys(details).filter((key) => !(key in shown))];
  const hasMoney = (source: Record<string, unknown>) =>
    Object.entries(source).some(([key, value]) => currencyFor(source, key, value) !== undefined);
  const rows: IDetailRow[] = [];
  for (const key of keys) {
    const value = shown[key];
    const original = details[key];
    if (isHidden(key, key in shown ? value : original)) continue;
    // [1] the currency is part of each amount row; it keeps its own row only if it changed
    const isCurrencyMerged = key === 'currency' && hasMoney(shown) && hasMoney(details);
    const isChanged = modified !== null && canonicalJson(value) !== canonicalJson(original);
    if (isCurrencyMerged && !isChanged) continue;
    const row: IDetailRow = { key, label: humanizeKey(key), value };
    const currency = currencyFor(shown, key, value);
    if (currency) row.currency = currency;
    if (modified !== null && isChanged) {
      const type = !(key in details) ? 'added' : !(key in shown) ? 'removed' : 'changed';
      row.change = { type, ...(type !== 'added' ? { original } : {}) };
      const originalCurrency = currencyFor(details, key, original);
      if (originalCurrency) row.change.originalCurrency = originalCurrency;
    }
    rows.push(row);
  }
  return rows;
}

import { currencyInside, formatMoneyValue, moneyOf } from './money';

/**
 * The approval's headline money for the Amount column: its top-level `amount`, else its first top-level
 * money detail (`refund_amount`, `total: { amount, currency }` …), formatted as money in the agent's locale
 * when a currency is known (see money.ts), else as a number; null when there is none. Line items are not
 * the approval's amount.
 */
export function formatAmount(
  details: Record<string, unknown>,
  locale: string,
  defaultCurrency: string | null = null,
): string | null {
  const currency = currencyInside(details, defaultCurrency);
  const keys = Object.keys(details);
  const ordered = keys.includes('amount') ? ['amount', ...keys.filter((key) => key !== 'amount')] : keys;
  for (const key of ordered) {
    const money = moneyOf(key, details[key], currency);
    if (money) return formatMoneyValue(money, locale);
  }
  return null;
}

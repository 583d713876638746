/** Details keys read as an amount of money when the details also carry a currency. */
const MONEY_KEY = /(amount|price|total|cost|refund|credit|charge|fee|balance|value)$/i;
const CURRENCY = /^[A-Z]{3}$/;

const formatters = new Map<string, Intl.NumberFormat>();

/** `€500.00`, `$1,234.50`: an amount in `currency` (ISO 4217) as English readers write it; null for a bad code. */
export function formatMoney(amount: number, currency: string): string | null {
  const code = currency.toUpperCase();
  if (!CURRENCY.test(code) || !Number.isFinite(amount)) return null;
  let formatter = formatters.get(code);
  if (!formatter) {
    try {
      formatter = new Intl.NumberFormat('en', { style: 'currency', currency: code });
    } catch {
      return null;
    }
    if (formatters.size < 500) formatters.set(code, formatter);
  }
  return formatter.format(amount);
}

/** The details' currency (`currency`, `currency_code`, `currencyCode`), when one is given. */
export function currencyOf(details: Record<string, unknown>): string | null {
  for (const key of ['currency', 'currency_code', 'currencyCode']) {
    const value = details[key];
    if (typeof value === 'string' && CURRENCY.test(value.toUpperCase())) return value.toUpperCase();
  }
  return null;
}

/** One detail's value for a person to read: money formatted, numbers grouped, the rest as short text. */
export function detailText(key: string, value: unknown, currency: string | null): string {
  if (typeof value === 'number') {
    const money = currency && MONEY_KEY.test(key) ? formatMoney(value, currency) : null;
    return money ?? new Intl.NumberFormat('en', { maximumFractionDigits: 6 }).format(value);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

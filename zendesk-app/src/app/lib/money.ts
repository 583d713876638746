import { currencyDigits, formatMoney, formatNumber } from './format';

/**
 * Which details are money, and in which currency: the app formats them as money in the agent's locale.
 *
 * A detail is money when its key's last word names an amount of money (`amount`, `refund_amount`,
 * `unitPrice`, `grand_total`, `shipping_fee` …), or when it is an object of just an amount and a currency
 * (`{ "amount": 15, "currency": "EUR" }`, `{ "value": "15.00", "currency": "EUR" }`). Ids, quantities,
 * rates and percentages are not (`refund_id`, `amount_percent`, `item_count`: their last word decides).
 * The currency is the value's own (`"15.00 EUR"`, `"€15"`), else the nearest `currency` key at the same
 * object level or a parent's, else the app's `defaultCurrency` setting; with none, the amount is a number.
 */

/** Last words of a key that say its number is an amount of money (a trailing `s` is ignored: `fees`). */
export const MONEY_WORDS = ['amount', 'price', 'total', 'subtotal', 'fee', 'cost', 'refund', 'balance'] as const;
/** Keys whose (string) value is the currency of the money beside it and below it. */
export const CURRENCY_KEYS = ['currency', 'currency_code', 'currencyCode'] as const;
/** An amount object's amount key, beside one currency key (`{ amount, currency }`). */
const AMOUNT_OBJECT_KEYS = ['amount', 'value', 'amount_cents', 'amountCents', 'value_cents', 'valueCents'];
/**
 * Last words of a key whose number is an identifier or a code, shown as sent (`1001`, never `1,001`).
 * A trailing `s` is ignored (`order_ids`).
 */
const IDENTIFIER_WORDS = [
  'id',
  'number',
  'no',
  'nr',
  'num',
  'code',
  'ref',
  'reference',
  'sku',
  'ean',
  'isbn',
  'iban',
  'year',
  'zip',
  'postcode',
  'phone',
  'pin',
  'port',
  'version',
];

/** Symbols read as one currency even without a currency detail (others, like `$`, need one: see parseMoneyText). */
const SYMBOL_CURRENCIES: Record<string, string> = { '€': 'EUR', '£': 'GBP' };

/** Money found in the details. */
export interface IMoney {
  /** In major units (cents already divided). */
  amount: number;
  /** ISO 4217 code; null when the details name none (shown as a plain number). */
  currency: string | null;
  /** Fraction digits the value was sent with (`"15.00"` keeps both zeros). */
  fractionDigits: number;
}

let knownCurrencies: ReadonlySet<string> | null = null;

/** An ISO 4217 code Intl knows (`EUR`, `usd`); `euro`, `XYZ` and non-strings are not. */
export function isCurrencyCode(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z]{3}$/.test(value)) return false;
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(value.toUpperCase());
}

/** The app's `defaultCurrency` setting as an ISO 4217 code, or null when it is empty or not a code. */
export function parseCurrencySetting(value: unknown): string | null {
  const text = typeof value === 'string' ? value.trim() : '';
  return isCurrencyCode(text) ? text.toUpperCase() : null;
}

/** `refund_amount` → [refund, amount]; `unitPrice` → [unit, price]. */
function wordsOf(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const singular = (word: string) => (word.length > 2 && word.endsWith('s') ? word.slice(0, -1) : word);
const lastWord = (key: string) => wordsOf(key).at(-1) ?? '';
const isIdentifierWord = (word: string) => IDENTIFIER_WORDS.includes(word);
/** Words that make an `amount_…` key something other than money (`amount_percent`, `amount_currency`). */
const NOT_MONEY_WORDS = ['percent', 'percentage', 'pct', 'rate', 'ratio', 'count', 'currency', 'unit', 'type'];

/** `amount_cents`, `priceCents`: an integer of the currency's minor unit. */
export const isCentsKey = (key: string) => lastWord(key) === 'cents' && wordsOf(key).length > 1;

/**
 * The key names money: its last word is a money word (`amount`, `refund_amount`, `unitPrice`, `fees`), it
 * counts cents (`amount_cents`), or it starts with `amount` (`amount_due`, `amount_refunded`) and no word
 * says otherwise (`amount_percent`).
 */
export function isMoneyKey(key: string): boolean {
  if (isCentsKey(key)) return true;
  const words = wordsOf(key).map(singular);
  if ((MONEY_WORDS as readonly string[]).includes(words.at(-1) ?? '')) return true;
  return words[0] === 'amount' && !words.some((word) => NOT_MONEY_WORDS.includes(word) || isIdentifierWord(word));
}

/** The key names an identifier or code (`order_id`, `zip`, `year`): its number is shown as sent. */
export const isIdentifierKey = (key: string): boolean => isIdentifierWord(singular(lastWord(key)));

/**
 * The currency an object level sets for its money and its children's: a code (upper case) when it has a
 * valid currency key, null when its currency key is not a code (then nothing is shown as money there, rather
 * than in a currency it did not name), undefined when it has none (its parent's applies).
 */
export function levelCurrency(object: Record<string, unknown>): string | null | undefined {
  const key = CURRENCY_KEYS.find((name) => name in object);
  if (key === undefined) return undefined;
  const value = object[key];
  return isCurrencyCode(value) ? value.toUpperCase() : null;
}

/** The currency in force inside `object`, given the one in force around it. */
export function currencyInside(object: Record<string, unknown>, around: string | null): string | null {
  const own = levelCurrency(object);
  return own === undefined ? around : own;
}

const fractionDigitsOf = (text: string) => text.split('.')[1]?.length ?? 0;

/** The currency a symbol stands for, given the currency the details name (`$` is USD, CAD, AUD …). */
function currencyOfSymbol(symbol: string, around: string | null): string | null {
  if (around) {
    const narrow = new Intl.NumberFormat('en', { style: 'currency', currency: around, currencyDisplay: 'narrowSymbol' })
      .formatToParts(1)
      .find((part) => part.type === 'currency')?.value;
    if (narrow === symbol) return around;
  }
  return SYMBOL_CURRENCIES[symbol] ?? null;
}

const TEXT_CODE = /^([A-Za-z]{3})\s*(-?\d+(?:\.\d+)?)$|^(-?\d+(?:\.\d+)?)\s*([A-Za-z]{3})$/;
const TEXT_SYMBOL = /^([^\d\s.,+-])\s*(-?\d+(?:\.\d+)?)$|^(-?\d+(?:\.\d+)?)\s*([^\d\s.,+-])$/;
const TEXT_NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * A money string: `"15.00"`, `"15.00 EUR"`, `"EUR 15"`, `"€15"`, `"15 €"`; undefined when it is not one.
 * Only a dot is read as the decimal sign: `"1,234.50"` or `"15,00"` could mean either, so they stay text.
 * A symbol several currencies use (`$`) counts only when the currency around it has that symbol.
 */
export function parseMoneyText(text: string, around: string | null): IMoney | undefined {
  const trimmed = text.trim();
  if (TEXT_NUMBER.test(trimmed)) {
    return { amount: Number(trimmed), currency: around, fractionDigits: fractionDigitsOf(trimmed) };
  }
  const coded = TEXT_CODE.exec(trimmed);
  if (coded) {
    const code = coded[1] ?? coded[4] ?? '';
    const number = coded[2] ?? coded[3] ?? '';
    if (!isCurrencyCode(code)) return undefined;
    return { amount: Number(number), currency: code.toUpperCase(), fractionDigits: fractionDigitsOf(number) };
  }
  const symbolic = TEXT_SYMBOL.exec(trimmed);
  if (symbolic) {
    const currency = currencyOfSymbol(symbolic[1] ?? symbolic[4] ?? '', around);
    const number = symbolic[2] ?? symbolic[3] ?? '';
    if (!currency) return undefined;
    return { amount: Number(number), currency, fractionDigits: fractionDigitsOf(number) };
  }
  return undefined;
}

/** An integer of minor units in major units; undefined without a currency (its digits are unknown). */
function fromCents(cents: number, currency: string | null): IMoney | undefined {
  if (!Number.isInteger(cents) || !currency) return undefined;
  const digits = currencyDigits(currency);
  return { amount: cents / 10 ** digits, currency, fractionDigits: digits };
}

function amountOf(key: string, value: unknown, around: string | null): IMoney | undefined {
  const cents = isCentsKey(key);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    if (cents) return fromCents(value, around);
    return { amount: value, currency: around, fractionDigits: 0 };
  }
  if (typeof value !== 'string') return undefined;
  if (cents) return TEXT_NUMBER.test(value.trim()) ? fromCents(Number(value.trim()), around) : undefined;
  return parseMoneyText(value, around);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** `{ amount, currency }` (or `value`, or `amount_cents`): one amount and one valid currency, nothing else. */
function amountObjectOf(value: Record<string, unknown>): IMoney | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 2) return undefined;
  const amountKey = keys.find((key) => AMOUNT_OBJECT_KEYS.includes(key));
  const currency = levelCurrency(value);
  if (amountKey === undefined || !currency) return undefined;
  return amountOf(amountKey, value[amountKey], currency);
}

/**
 * The money a detail holds, or undefined when it is not money: `key` is the detail's key (for a list
 * item, the list's key), `around` the currency in force at its level (see currencyInside).
 */
export function moneyOf(key: string, value: unknown, around: string | null): IMoney | undefined {
  if (isPlainObject(value)) return amountObjectOf(value);
  if (!isMoneyKey(key)) return undefined;
  return amountOf(key, value, around);
}

/**
 * Whether a detail shows money in the currency around it (rather than its own, or none): then a `currency`
 * beside it is part of that money, not a detail of its own.
 */
export function usesCurrencyAround(key: string, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => usesCurrencyAround(key, item));
  if (isPlainObject(value)) {
    if (amountObjectOf(value) || levelCurrency(value) !== undefined) return false;
    return Object.entries(value).some(([child, item]) => usesCurrencyAround(child, item));
  }
  // [1] with a made-up currency: the question is whether it is money that takes the currency around it
  const money = moneyOf(key, value, 'XXX');
  return money !== undefined && money.currency === 'XXX';
}

/** Money found in the details (see moneyOf): with its currency, or as a plain number when it has none. */
export function formatMoneyValue(money: IMoney, locale: string): string {
  const formatted = money.currency ? formatMoney(money.amount, money.currency, locale, money.fractionDigits) : null;
  return formatted ?? formatNumber(money.amount, locale, money.fractionDigits);
}

/**
 * One scalar detail as text: money as money, numbers in the locale (identifiers such as `order_id` as
 * sent), text as it is; undefined for anything else (booleans, null, objects: the caller words those).
 */
export function formatDetailScalar(
  key: string,
  value: unknown,
  currency: string | null,
  locale: string,
): string | undefined {
  const money = moneyOf(key, value, currency);
  if (money) return formatMoneyValue(money, locale);
  if (typeof value === 'number') return isIdentifierKey(key) ? String(value) : formatNumber(value, locale);
  if (typeof value === 'string') return value;
  return undefined;
}

/**
 * Issue 16 point 9: money wherever the details say money (with a currency from the value, the level, a parent
 * or the app's defaultCurrency setting), numbers in the agent's locale, and one wording for relative times.
 */
import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { DetailsDiff } from '../../zendesk-app/src/app/components/DetailsDiff';
import { DetailsList } from '../../zendesk-app/src/app/components/DetailsList';
import { ThemeRoot } from '../../zendesk-app/src/app/components/ThemeRoot';
import { ClientProvider } from '../../zendesk-app/src/app/contexts/ClientProvider';
import { useClient } from '../../zendesk-app/src/app/hooks/useClient';
import { detailRows } from '../../zendesk-app/src/app/lib/detail-rows';
import { diffDetails } from '../../zendesk-app/src/app/lib/details-form';
import { formatNumber, formatRelative } from '../../zendesk-app/src/app/lib/format';
import { createTranslator, type SupportedLocale } from '../../zendesk-app/src/app/lib/i18n';
import { formatDetailScalar, isMoneyKey, moneyOf, parseCurrencySetting } from '../../zendesk-app/src/app/lib/money';
import { fakeClient, NOW, renderWithClient } from './support';

/** Non-breaking spaces (Intl's, in `40,00 €`) as plain ones, for readable expectations. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u00a0\u202f]/g, ' ');
/** How one scalar detail reads, with `currency` in force around it. */
const shown = (key: string, value: unknown, currency: string | null = null, locale = 'en-US') =>
  plain(formatDetailScalar(key, value, currency, locale));

function renderList(
  details: Record<string, unknown>,
  options: { locale?: SupportedLocale; defaultCurrency?: string | null } = {},
) {
  const locale = options.locale ?? 'en';
  return render(
    <ThemeRoot colorScheme="light">
      <DetailsList
        details={details}
        locale={locale}
        t={createTranslator(locale)}
        {...(options.defaultCurrency !== undefined ? { defaultCurrency: options.defaultCurrency } : {})}
      />
    </ThemeRoot>,
  );
}

/** The dd next to the dt with this label (within `scope`). */
const valueOf = (label: string, scope: HTMLElement = document.body) =>
  plain(within(scope).getByText(label, { selector: 'dt' }).nextElementSibling?.textContent);
/** The dd of the detail with this key (its dt's title), at the top level. */
const valueAt = (key: string) => plain(document.querySelector(`dt[title="${key}"]`)?.nextElementSibling?.textContent);

describe('Which details are money', () => {
  it('When a key names money (amount, price, total, fee, cost, refund, *_amount, *_price, amount_due, *_cents), then it is money; ids, quantities and percentages are not', () => {
    for (const key of [
      'amount',
      'refund_amount',
      'refundAmount',
      'unit_price',
      'unitPrice',
      'price',
      'prices',
      'total',
      'grand_total',
      'subtotal',
      'shipping_fee',
      'fees',
      'cost',
      'refund',
      'balance',
      'amount_due',
      'amount_refunded',
      'amount_cents',
      'priceCents',
    ]) {
      expect(isMoneyKey(key), key).toBe(true);
    }
    for (const key of [
      'order_id',
      'refund_id',
      'price_id',
      'quantity',
      'item_count',
      'total_items',
      'discount_percent',
      'amount_percent',
      'tax_rate',
      'currency',
      'amount_currency',
      'cents',
      'note',
    ]) {
      expect(isMoneyKey(key), key).toBe(false);
    }
  });

  it('When money is a number, a "15.00" string, "15.00 EUR", "EUR 15" or "€15", then it reads as money with its own currency first', () => {
    expect(shown('amount', 40, 'EUR')).toBe('€40.00');
    expect(shown('amount', '15.00', 'EUR')).toBe('€15.00');
    expect(shown('amount', '15.5', 'USD')).toBe('$15.50');
    expect(shown('amount', '15.00 EUR')).toBe('€15.00');
    expect(shown('amount', 'EUR 15', 'USD')).toBe('€15.00'); // the value's own currency wins
    expect(shown('price', '€15')).toBe('€15.00');
    expect(shown('price', '15 €')).toBe('€15.00');
    expect(shown('price', '£9.99')).toBe('£9.99');
    expect(shown('amount', '15.00 EUR', null, 'de-DE')).toBe('15,00 €');
    // `$` is several currencies: money only when the currency in force is a dollar
    expect(shown('amount', '$15', 'CAD', 'en-CA')).toBe('$15.00');
    expect(shown('amount', '$15', 'EUR')).toBe('$15');
    expect(shown('amount', '$15')).toBe('$15');
    // a decimal comma could be either: the text stays as sent
    expect(shown('amount', '1,234.50', 'EUR')).toBe('1,234.50');
    expect(shown('amount', '15,00', 'EUR')).toBe('15,00');
    expect(shown('amount', 'fifteen', 'EUR')).toBe('fifteen');
    expect(shown('amount', '15 euro')).toBe('15 euro');
  });

  it('When money has no currency anywhere, then it is a number in the locale (keeping the digits sent), never a guessed currency', () => {
    expect(shown('amount', 1234.5)).toBe('1,234.5');
    expect(shown('amount', 1234.5, null, 'de-DE')).toBe('1.234,5');
    expect(shown('amount', '15.00', null, 'de-DE')).toBe('15,00');
    expect(moneyOf('amount', 40, null)).toEqual({ amount: 40, currency: null, fractionDigits: 0 });
  });

  it('When money is an amount object {amount|value, currency}, then it is one amount in that currency', () => {
    expect(moneyOf('total', { amount: 15, currency: 'EUR' }, 'USD')).toEqual({
      amount: 15,
      currency: 'EUR',
      fractionDigits: 0,
    });
    expect(moneyOf('anything', { value: '15.00', currency: 'gbp' }, null)).toEqual({
      amount: 15,
      currency: 'GBP',
      fractionDigits: 2,
    });
    expect(moneyOf('total', { amount_cents: 1999, currency: 'EUR' }, null)?.amount).toBe(19.99);
    // more than an amount and a currency is a nested object, not one amount
    expect(moneyOf('total', { amount: 15, currency: 'EUR', note: 'x' }, null)).toBeUndefined();
    expect(moneyOf('total', { amount: 15, currency: 'euro' }, null)).toBeUndefined();
  });

  it('When an amount is in cents, then it is divided by the currency’s minor unit (EUR 2 digits, JPY 0, KWD 3); without a currency it stays the number sent', () => {
    expect(shown('amount_cents', 1999, 'EUR')).toBe('€19.99');
    expect(shown('amount_cents', 1999, 'JPY')).toBe('¥1,999');
    expect(shown('amount_cents', 1999, 'KWD')).toBe('KWD 1.999');
    expect(shown('amount_cents', 1999)).toBe('1,999');
    expect(shown('amount_cents', 19.5, 'EUR')).toBe('19.5'); // not an integer of cents
  });

  it('When an amount has more digits than its currency, then none is rounded away', () => {
    expect(shown('unit_price', 0.125, 'EUR')).toBe('€0.125');
    expect(shown('amount', 40, 'JPY')).toBe('¥40');
  });
});

describe('Numbers in the agent’s locale', () => {
  it('When a detail is a decimal, then it reads in the locale (1,234.5 en, 1.234,5 de); ids and codes read as sent', () => {
    expect(formatNumber(1234.5, 'en')).toBe('1,234.5');
    expect(formatNumber(1234.5, 'de')).toBe('1.234,5');
    expect(formatNumber(0.30000000000000004, 'de')).toBe('0,30000000000000004');
    expect(shown('weight_kg', 1234.5, null, 'de')).toBe('1.234,5');
    expect(shown('discount_percent', 12.5, 'EUR', 'de')).toBe('12,5');
    expect(shown('quantity', 1500, 'EUR', 'de')).toBe('1.500');
    expect(shown('order_id', 1001234, null, 'de')).toBe('1001234');
    expect(shown('order_number', 1001234, null, 'de')).toBe('1001234');
    expect(shown('zip', 10115, null, 'de')).toBe('10115');
    expect(shown('year', 2026, null, 'de')).toBe('2026');
  });
});

describe('DetailsList money and numbers', () => {
  it('When details hold money in every shape, then each row reads as money in its currency and the currency row merges', () => {
    renderList({
      amount: 40,
      currency: 'EUR',
      refund_amount: '12.50',
      shipping_fee: '4.90 USD',
      total: { amount: 57.4, currency: 'EUR' },
      amount_cents: 1999,
      items: [
        { sku: 'A-1', quantity: 2, unit_price: 10 },
        { sku: 'B-2', quantity: 1, unit_price: '7.5', currency: 'GBP' },
      ],
      prices: [10, 12.5],
      discount_percent: 12.5,
      order_id: 1001234,
    });
    fireEvent.click(screen.getByRole('button', { name: /Show all/ }));
    expect(valueAt('amount')).toBe('€40.00');
    expect(screen.queryByText('Currency', { selector: 'dt' })).toBeNull();
    expect(valueOf('Refund amount')).toBe('€12.50');
    expect(valueOf('Shipping fee')).toBe('$4.90');
    expect(valueOf('Total')).toBe('€57.40');
    // `amount_cents` reads as the amount it is; its label says what, not the unit
    expect(screen.getAllByText('Amount', { selector: 'dt' }).map((dt) => dt.getAttribute('title'))).toEqual([
      'amount',
      'amount_cents',
    ]);
    expect(valueAt('amount_cents')).toBe('€19.99');
    const items = screen.getByText('Items', { selector: 'dt' }).nextElementSibling as HTMLElement;
    const [first, second] = within(items).getAllByText(/^[12]$/, { selector: 'dt' });
    // line items take the parent's currency, or their own
    expect(valueOf('Unit price', first?.nextElementSibling as HTMLElement)).toBe('€10.00');
    expect(valueOf('Quantity', first?.nextElementSibling as HTMLElement)).toBe('2');
    expect(valueOf('Unit price', second?.nextElementSibling as HTMLElement)).toBe('£7.50');
    expect(within(second?.nextElementSibling as HTMLElement).queryByText('Currency')).toBeNull();
    expect(valueOf('Prices')).toBe('€10.00, €12.50');
    expect(valueOf('Discount percent')).toBe('12.5');
    expect(valueOf('Order id')).toBe('1001234');
    // money never breaks inside
    const money = screen.getAllByText('€40.00')[0] as HTMLElement;
    expect(getComputedStyle(money).whiteSpace).toBe('nowrap');
  });

  it('When the agent reads German, then money and decimals are German (1.234,50 €, 52,5)', () => {
    renderList(
      { amount: 1234.5, currency: 'EUR', geo: { lat: 52.5 }, weight_kg: 1234.5, order_id: 1001234 },
      { locale: 'de' },
    );
    expect(valueOf('Amount')).toBe('1.234,50 €');
    expect(valueOf('Lat')).toBe('52,5');
    expect(valueOf('Weight kg')).toBe('1.234,5');
    expect(valueOf('Order id')).toBe('1001234');
  });

  it('When no detail names a currency, then the default currency (the app setting) applies; a currency that is not a code blocks it', () => {
    const { unmount } = renderList({ amount: 15, items: [{ price: 2 }] }, { defaultCurrency: 'EUR' });
    expect(valueOf('Amount')).toBe('€15.00');
    expect(valueOf('Price')).toBe('€2.00');
    unmount();
    const again = renderList({ amount: 15, currency: 'euro' }, { defaultCurrency: 'EUR' });
    expect(valueOf('Amount')).toBe('15');
    expect(valueOf('Currency')).toBe('euro'); // shown as sent: nothing is hidden behind a made-up currency
    again.unmount();
    renderList({ amount: 15 });
    expect(valueOf('Amount')).toBe('15');
    expect(detailRows({ amount: 15 }, { defaultCurrency: 'EUR' })).toEqual([
      { key: 'amount', label: 'Amount', value: 15, currency: 'EUR' },
    ]);
  });

  it('When approved with a changed amount sent as text, then both the approved and the original amount are money', () => {
    render(
      <ThemeRoot colorScheme="light">
        <DetailsList
          details={{ amount: '40.00 EUR' }}
          modified={{ amount: '20.00 EUR' }}
          locale="en"
          t={createTranslator('en')}
        />
      </ThemeRoot>,
    );
    const row = screen.getByText('Amount', { selector: 'dt' }).nextElementSibling as HTMLElement;
    expect(row.querySelector('ins')?.textContent).toBe('€20.00');
    expect(row.querySelector('del')?.textContent).toBe('€40.00');
  });

  it('When the diff of a modify shows a changed amount, then it is money (with the details given) or a locale number', () => {
    const before = { amount: 1234.5, currency: 'EUR', note: 'x' };
    const after = { amount: 1000, currency: 'EUR', note: 'x' };
    const t = createTranslator('de');
    const { unmount } = render(
      <ThemeRoot colorScheme="light">
        <DetailsDiff changes={diffDetails(before, after)} before={before} after={after} locale="de" t={t} />
      </ThemeRoot>,
    );
    expect(plain(screen.getByRole('listitem').textContent)).toBe('Amount: 1.234,50 € → 1.000,00 €');
    unmount();
    render(
      <ThemeRoot colorScheme="light">
        <DetailsDiff changes={diffDetails(before, after)} locale="de" t={t} />
      </ThemeRoot>,
    );
    expect(plain(screen.getByRole('listitem').textContent)).toBe('Amount: 1.234,5 → 1.000');
  });
});

describe('The defaultCurrency setting', () => {
  it('When the setting is an ISO 4217 code, then it is read upper case; empty or not a code, then there is none', () => {
    expect(parseCurrencySetting('eur')).toBe('EUR');
    expect(parseCurrencySetting(' USD ')).toBe('USD');
    expect(parseCurrencySetting('euro')).toBeNull();
    expect(parseCurrencySetting('XYZ')).toBeNull();
    expect(parseCurrencySetting('')).toBeNull();
    expect(parseCurrencySetting(undefined)).toBeNull();
    expect(parseCurrencySetting(978)).toBeNull();
  });

  function Amount() {
    const { defaultCurrency, t, locale } = useClient();
    return (
      <>
        <p data-testid="setting">{String(defaultCurrency)}</p>
        <DetailsList details={{ amount: 15 }} locale={locale} t={t} />
      </>
    );
  }

  it('When Zendesk gives the app the setting, then money without a currency is in it', async () => {
    for (const [setting, expected, amount] of [
      ['gbp', 'GBP', '£15.00'],
      ['pounds', 'null', '15'],
      [undefined, 'null', '15'],
    ] as const) {
      const client = fakeClient();
      client.get = vi.fn(async () => ({ currentUser: { id: 381, name: 'Ada', locale: 'en-GB' } })) as never;
      const settings = setting === undefined ? {} : { defaultCurrency: setting };
      const registered = Promise.resolve({ context: { location: 'ticket_sidebar' }, metadata: { settings } } as never);
      const { unmount } = renderWithClient(
        <ClientProvider client={client} registered={registered}>
          <Amount />
        </ClientProvider>,
      );
      expect((await screen.findByTestId('setting')).textContent).toBe(expected);
      expect(valueOf('Amount')).toBe(amount);
      unmount();
    }
  });
});

describe('One wording for relative times', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  const H = 3600_000;

  it('When expiries are 24 h, 23 h, 47 h, 48 h, minutes or seconds away, then each reads as a number in one unit rule (never "tomorrow")', () => {
    expect(formatRelative(at(24 * H), NOW, 'en')).toBe('in 24 hours');
    expect(formatRelative(at(23 * H), NOW, 'en')).toBe('in 23 hours');
    expect(formatRelative(at(47 * H), NOW, 'en')).toBe('in 47 hours');
    expect(formatRelative(at(48 * H), NOW, 'en')).toBe('in 2 days');
    expect(formatRelative(at(72 * H), NOW, 'en')).toBe('in 3 days');
    expect(formatRelative(at(7 * 24 * H), NOW, 'en')).toBe('in 7 days');
    expect(formatRelative(at(14 * 60_000), NOW, 'en')).toBe('in 14 minutes');
    expect(formatRelative(at(59.6 * 60_000), NOW, 'en')).toBe('in 1 hour');
    expect(formatRelative(at(59_600), NOW, 'en')).toBe('in 1 minute');
    expect(formatRelative(at(42_000), NOW, 'en')).toBe('in 42 seconds');
    expect(formatRelative(at(-24 * H), NOW, 'en')).toBe('24 hours ago');
    expect(formatRelative(at(0), NOW, 'en')).toBe('now');
  });

  it('When the agent reads German, then the same rule holds (never "morgen" or "übermorgen")', () => {
    expect(formatRelative(at(24 * H), NOW, 'de')).toBe('in 24 Stunden');
    expect(formatRelative(at(23 * H), NOW, 'de')).toBe('in 23 Stunden');
    expect(formatRelative(at(47 * H), NOW, 'de')).toBe('in 47 Stunden');
    expect(formatRelative(at(48 * H), NOW, 'de')).toBe('in 2 Tagen');
    expect(formatRelative(at(14 * 60_000), NOW, 'de')).toBe('in 14 Minuten');
    expect(formatRelative(at(-24 * H), NOW, 'de')).toBe('vor 24 Stunden');
    expect(formatRelative(at(0), NOW, 'de')).toBe('jetzt');
  });
});

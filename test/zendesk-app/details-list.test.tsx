import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { DETAIL_ROWS_SHOWN, DetailsList } from '../../zendesk-app/src/app/components/DetailsList';
import { ThemeRoot } from '../../zendesk-app/src/app/components/ThemeRoot';
import { nextTickMs } from '../../zendesk-app/src/app/hooks/useNow';
import { detailRows } from '../../zendesk-app/src/app/lib/detail-rows';
import { createTranslator, type SupportedLocale } from '../../zendesk-app/src/app/lib/i18n';

function renderList(
  details: Record<string, unknown>,
  options: { locale?: SupportedLocale; ticketId?: string; modified?: Record<string, unknown> } = {},
) {
  const locale = options.locale ?? 'en';
  return render(
    <ThemeRoot colorScheme="light">
      <DetailsList
        details={details}
        ticketId={options.ticketId ?? null}
        modified={options.modified ?? null}
        locale={locale}
        t={createTranslator(locale)}
      />
    </ThemeRoot>,
  );
}

/** The dd next to the dt with this label. */
const valueOf = (label: string) => screen.getByText(label, { selector: 'dt' }).nextElementSibling as HTMLElement;

describe('DetailsList formatting', () => {
  it('When amount and currency are details, then they are one row formatted in the agent locale (en and de)', () => {
    const details = { order_id: 'o-1', amount: 40, currency: 'EUR', notify_customer: true };
    const { unmount } = renderList(details);
    expect(valueOf('Amount').textContent).toBe('€40.00');
    expect(screen.queryByText('Currency')).toBeNull();
    unmount();
    renderList(details, { locale: 'de' });
    expect(valueOf('Amount').textContent?.replace(/\s/g, ' ')).toBe('40,00 €');
    expect(valueOf('Notify customer').textContent).toBe('Ja');
  });

  it('When *_amount details share a currency, then each is money; an amount without a currency stays a number', () => {
    renderList({ refund_amount: 112.4, shippingAmount: 4.9, currency: 'usd' });
    expect(valueOf('Refund amount').textContent).toBe('$112.40');
    expect(valueOf('Shipping amount').textContent).toBe('$4.90');
    // amounts never break inside
    expect(getComputedStyle(valueOf('Refund amount').firstElementChild as HTMLElement).whiteSpace).toBe('nowrap');
    expect(detailRows({ amount: 3 })).toEqual([{ key: 'amount', label: 'Amount', value: 3 }]);
  });

  it('When a detail is a nested object or a list, then it shows as an indented key/value list, not JSON', () => {
    renderList({ address: { city: 'Berlin', geo: { lat: 52.5 } }, items: [{ sku: 'A-1' }], tags: ['vip', 'eu'] });
    const address = valueOf('Address');
    expect(address.querySelector('dl')).toBeTruthy();
    expect(within(address).getByText('City').nextElementSibling?.textContent).toBe('Berlin');
    expect(within(address).getByText('Lat').nextElementSibling?.textContent).toBe('52.5');
    expect(address.textContent).not.toContain('{');
    expect(within(valueOf('Items')).getByText('Sku').nextElementSibling?.textContent).toBe('A-1');
    expect(valueOf('Tags').textContent).toBe('vip, eu');
  });

  it('When a text detail is long, then it is clamped with "Show more", which expands and collapses it', () => {
    const long = 'The customer wrote three times about the parcel. '.repeat(6).trim();
    renderList({ customer_message: long });
    const text = screen.getByText(long);
    expect(text.getAttribute('data-clamped')).toBe('true');
    const more = screen.getByRole('button', { name: 'Show more' });
    expect(more.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(more);
    expect(text.getAttribute('data-clamped')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: 'Show less' }));
    expect(text.getAttribute('data-clamped')).toBe('true');
  });

  it('When ticket_id is the approval ticket, then it is not shown; a different ticket_id is', () => {
    const { unmount } = renderList({ ticket_id: '9921', order_id: 'o-1' }, { ticketId: '9921' });
    expect(screen.queryByText('Ticket id')).toBeNull();
    unmount();
    renderList({ ticket_id: '77' }, { ticketId: '9921' });
    expect(valueOf('Ticket id').textContent).toBe('77');
  });

  it('When approved with changes, then the approved value shows with the original struck beside it, added and removed marked', () => {
    renderList(
      { amount: 40, currency: 'EUR', reason: 'late', old: 'x' },
      { modified: { amount: 25, currency: 'EUR', reason: 'late', extra: true } },
    );
    const amount = valueOf('Amount');
    expect(amount.querySelector('ins')?.textContent).toBe('€25.00');
    expect(amount.querySelector('del')?.textContent).toBe('€40.00');
    expect(amount.textContent).toBe('€25.00 was €40.00');
    expect(valueOf('Reason').querySelector('ins,del')).toBeNull();
    expect(valueOf('Extra').textContent).toBe('Yes (added)');
    expect(valueOf('Old').textContent).toBe('x (removed)');
  });

  it('When a key is long, then it sits above its value (full width); short keys sit beside it', () => {
    renderList({ requested_cancellation_effective_date: '2026-04-01', plan: 'pro' });
    const long = screen.getByText('Requested cancellation effective date');
    expect(long.getAttribute('data-stacked')).toBe('true');
    expect(long.nextElementSibling?.getAttribute('data-stacked')).toBe('true');
    expect(screen.getByText('Plan').getAttribute('data-stacked')).toBe('false');
  });

  it('When there are many details, then the first rows show with "Show all", which shows the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [`field_${i + 1}`, i]));
    renderList(many);
    expect(screen.getAllByRole('term')).toHaveLength(DETAIL_ROWS_SHOWN);
    fireEvent.click(screen.getByRole('button', { name: 'Show all 22 details' }));
    expect(screen.getAllByRole('term')).toHaveLength(22);
  });
});

describe('useNow tick schedule', () => {
  const now = Date.parse('2026-03-01T12:00:00.000Z');
  it('When nothing is within a minute of expiry, then it ticks every 15 s (or until the last minute starts); inside it, every second', () => {
    expect(nextTickMs([], now)).toBe(15_000);
    expect(nextTickMs([now + 3_600_000], now)).toBe(15_000);
    expect(nextTickMs([now + 65_000], now)).toBe(5_000);
    expect(nextTickMs([now + 59_000], now)).toBe(1_000);
    expect(nextTickMs([now + 3_600_000, now + 30_000], now)).toBe(1_000);
    expect(nextTickMs([now - 60_000], now)).toBe(15_000);
  });
});

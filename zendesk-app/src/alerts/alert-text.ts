// [1] the module itself, not the package's index (see may-decide.ts)
import { decidersAt } from '../../../shared/src/authority';
import { humanizeAction, relativeUnit } from '../app/lib/format';
import { formatAmount } from '../app/lib/headline-amount';
import type { AlertApproval } from './alert-approval';
import { needsText, type AlertTranslate } from './alerts-i18n';

/** "24h", "5m", "3d": time left in one unit (the app's relative-time steps), narrow as a toast wants it. */
export function timeLeft(expiresAt: string, now: number, locale: string): string {
  const [value, unit] = relativeUnit(Math.max(0, (Date.parse(expiresAt) - now) / 1000));
  try {
    return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'narrow' }).format(value);
  } catch {
    return `${value} ${unit}`;
  }
}

/** "Refund order €500.00": the action and its headline money (the queue's Amount column), when it has one. */
export function whatText(approval: AlertApproval, moneyLocale: string, defaultCurrency: string | null): string {
  const amount = formatAmount(approval.details, moneyLocale, defaultCurrency);
  const action = humanizeAction(approval.action);
  return amount ? `${action} ${amount}` : action;
}

export interface IAlertTextOptions {
  t: AlertTranslate;
  /** The agent's Zendesk locale (`en-US`, `de`): numbers, money and units. */
  locale: string;
  defaultCurrency: string | null;
  now: number;
}

/**
 * What Zendesk's notification says: "Refund order €500.00 on #9921 needs a team lead, 24h left" — the
 * action, its money, the ticket, who may decide (the rule's words, widened once escalated) and the time
 * left before it expires.
 */
export function alertText(approval: AlertApproval, options: IAlertTextOptions): string {
  const { t, locale, now } = options;
  const deciders = decidersAt(approval.policy, approval.escalatesAt, new Date(now));
  const values = {
    what: whatText(approval, locale, options.defaultCurrency),
    needs: deciders ? needsText(deciders, t) : t('needs_you'),
    left: timeLeft(approval.expiresAt, now, locale),
    ticket: approval.ticketId ?? '',
  };
  return t(approval.ticketId ? 'notice' : 'notice_no_ticket', values);
}

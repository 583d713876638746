// [1] only the `alerts` section of each translation file: Vite's JSON modules export each top-level key,
// so the sidebar's `ui` strings stay out of the background and top-bar entries
import { alerts as de } from '../translations/de.json';
import { alerts as en } from '../translations/en.json';
import type { Deciders } from '@cheqpoint/shared';
import { pickLocale, type SupportedLocale } from '../app/lib/i18n-locale';

export type AlertKey = keyof typeof en;
export type AlertTranslate = (key: AlertKey, values?: Record<string, string | number>) => string;

const STRINGS: Record<SupportedLocale, Partial<Record<AlertKey, string>>> = { en, de };

/** The alerts' strings in the agent's language (`de`, `de-CH` → German), English for anything else. */
export function alertTranslator(zendeskLocale: string | null | undefined): AlertTranslate {
  const strings = STRINGS[pickLocale(zendeskLocale)];
  return (key, values = {}) =>
    (strings[key] ?? en[key]).replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
}

/**
 * "needs a team lead" from the rule's own label ("Needs a team lead", the admin's words, first letter
 * lowered to sit mid-sentence), else "needs an admin or a member of Team leads" in the agent's language.
 */
export function needsText(deciders: Deciders, t: AlertTranslate): string {
  if (deciders.label) return deciders.label.charAt(0).toLowerCase() + deciders.label.slice(1);
  const parts = [
    ...(deciders.roles ?? []).map((role) => t(role === 'admin' ? 'who_admin' : 'who_agent')),
    ...(deciders.groups ?? []).map((group) => t('who_group', { group })),
  ];
  const last = parts.pop() ?? t('who_agent');
  const who = parts.length > 0 ? t('who_or', { first: parts.join(', '), last }) : last;
  return t('needs_who', { who });
}

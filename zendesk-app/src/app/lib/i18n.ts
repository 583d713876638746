// [1] only the `ui` strings of English are bundled (the listing's `app` keys ship as translation files);
// other locales load on demand, so a German agent costs English agents nothing
import { ui as en } from '../../translations/en.json';
import type { SupportedLocale } from './i18n-locale';

export { SUPPORTED_LOCALES, pickLocale, type SupportedLocale } from './i18n-locale';

export type UiKey = keyof typeof en;
export type Translate = (key: UiKey, values?: Record<string, string | number>) => string;

const LOADERS: Record<Exclude<SupportedLocale, 'en'>, () => Promise<Record<string, string>>> = {
  de: () => import('../../translations/de.json').then((module) => module.ui),
};
const UI_STRINGS: Partial<Record<SupportedLocale, Record<string, string>>> & { en: Record<string, string> } = { en };

/** Loads a locale's strings once (English is built in); call it before `createTranslator` for that locale. */
export async function loadLocale(locale: SupportedLocale): Promise<void> {
  if (locale === 'en' || UI_STRINGS[locale]) return;
  UI_STRINGS[locale] = await LOADERS[locale]();
}

/**
 * A translate function for one locale: `{{name}}` placeholders are replaced by `values.name`.
 * A key missing from English throws (a programming error); one missing from another locale, or a locale not
 * loaded yet, falls back to English.
 */
export function createTranslator(locale: SupportedLocale): Translate {
  const strings = UI_STRINGS[locale] ?? UI_STRINGS.en;
  return (key, values = {}) => {
    const template = strings[key] ?? UI_STRINGS.en[key];
    if (template === undefined) throw new Error(`Missing translation: ui.${key}`);
    return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
  };
}

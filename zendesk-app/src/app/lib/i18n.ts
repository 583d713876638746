import de from '../../translations/de.json';
import en from '../../translations/en.json';

/** Locales with a translation file; the first is the fallback. */
export const SUPPORTED_LOCALES = ['en', 'de'] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

export type UiKey = keyof typeof en.ui;
export type Translate = (key: UiKey, values?: Record<string, string | number>) => string;

const UI_STRINGS: Record<SupportedLocale, Record<string, string>> = { en: en.ui, de: de.ui };

/** The supported locale for a Zendesk locale such as `de`, `de-CH` or `en-US`. */
export function pickLocale(locale: string | null | undefined): SupportedLocale {
  const language = (locale ?? '').toLowerCase().split(/[-_]/)[0];
  return (SUPPORTED_LOCALES as readonly string[]).includes(language ?? '') ? (language as SupportedLocale) : 'en';
}

/**
 * A translate function for one locale: `{{name}}` placeholders are replaced by `values.name`.
 * A key missing from English throws (a programming error); one missing from another locale falls back to English.
 */
export function createTranslator(locale: SupportedLocale): Translate {
  const strings = UI_STRINGS[locale];
  return (key, values = {}) => {
    const template = strings[key] ?? UI_STRINGS.en[key];
    if (template === undefined) throw new Error(`Missing translation: ui.${key}`);
    return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
  };
}

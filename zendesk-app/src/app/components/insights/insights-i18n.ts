// [1] the Insights tab's strings live beside it, not in translations/*.json's `ui` section, which is on
// the sidebar's first load: both languages come with the tab's chunk (a few kB), only when it is opened
import type { SupportedLocale } from '../../lib/i18n';
import de from './insights.de.json';
import en from './insights.en.json';

export type InsightsKey = keyof typeof en;
export type InsightsTranslate = (key: InsightsKey, values?: Record<string, string | number>) => string;

const STRINGS: Record<SupportedLocale, Partial<Record<InsightsKey, string>>> = { en, de };

/** The Insights tab's strings in the agent's language, `{{name}}` filled in; English where one is missing. */
export function insightsTranslator(locale: SupportedLocale): InsightsTranslate {
  const strings = STRINGS[locale];
  return (key, values = {}) =>
    (strings[key] ?? en[key]).replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
      name in values ? String(values[name]) : whole,
    );
}

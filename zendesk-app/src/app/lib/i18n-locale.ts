/** Locales with a translation file; the first is the fallback. */
export const SUPPORTED_LOCALES = ['en', 'de'] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

/** The supported locale for a Zendesk locale such as `de`, `de-CH` or `en-US`. */
export function pickLocale(locale: string | null | undefined): SupportedLocale {
  const language = (locale ?? '').toLowerCase().split(/[-_]/)[0];
  return (SUPPORTED_LOCALES as readonly string[]).includes(language ?? '') ? (language as SupportedLocale) : 'en';
}

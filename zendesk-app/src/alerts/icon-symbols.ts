/**
 * The top bar icon's count. ZAF has no badge or count API for an app icon; what it offers is
 * `client.set('iconSymbol', id)`, which shows another `<symbol>` of the app's `icon_top_bar.svg`
 * (Zendesk's "Dynamically changing app icons" tutorial; the background instance sets it on the top-bar
 * instance, so it changes while the popover is closed). The icon file has one symbol per count 1–9 and
 * one for "9+"; `default` (no count) when nothing waits for this agent.
 */
export const ICON_COUNT_MAX = 9;

/** The symbol id for a count: `default`, `count-1` … `count-9`, `count-9plus`. */
export function iconSymbolFor(count: number): string {
  if (count <= 0) return 'default';
  return count > ICON_COUNT_MAX ? `count-${ICON_COUNT_MAX}plus` : `count-${count}`;
}

/** Every symbol id the icon file must have. */
export const ICON_SYMBOLS = [
  'default',
  ...Array.from({ length: ICON_COUNT_MAX }, (_, index) => `count-${index + 1}`),
  `count-${ICON_COUNT_MAX}plus`,
];

import { ICON_SYMBOLS } from '../src/alerts/icon-symbols.js';

/** The ring and check of the nav-bar icon, drawn smaller in the top bar's symbols to leave room for a count. */
const RING = `<circle cx="9" cy="9" r="7" fill="none" stroke="currentColor" stroke-width="1.6"/>
    <path d="M5.6 9.3l2.3 2.3 4.5-4.8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>`;

/** A count in a filled circle at the top right (the symbol's own text, as the icon cannot carry a badge). */
const badge = (label: string) => `<circle cx="13" cy="5" r="5" fill="currentColor"/>
    <text x="13" y="7.6" font-size="${label.length > 1 ? 6 : 7.5}" font-weight="bold" font-family="Arial, sans-serif" text-anchor="middle" fill="#fff">${label}</text>`;

/**
 * `icon_top_bar.svg`: one `<symbol>` per count the app can show (`client.set('iconSymbol', id)`), `default`
 * for none. Only elements and attributes on Loofah's SVG safelist (see NAV_BAR_ICON), so Zendesk's sanitiser
 * keeps them.
 */
export function topBarIcon(): string {
  const symbols = ICON_SYMBOLS.map((id) => {
    const label = id === 'default' ? null : id.replace(/^count-/, '').replace(/plus$/, '+');
    return `  <symbol id="${id}" viewBox="0 0 18 18">
    ${RING}${label ? `\n    ${badge(label)}` : ''}
  </symbol>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg">\n${symbols.join('\n')}\n</svg>\n`;
}

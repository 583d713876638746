import type { IZafClient } from '../types/zaf';
import { iconSymbolFor } from './icon-symbols';

export { ICON_COUNT_MAX, ICON_SYMBOLS, iconSymbolFor } from './icon-symbols';

/** The instances of this app in this Zendesk tab at `location` (ZAF `instances`: guid → { location }). */
export async function instancesAt(client: IZafClient, location: string): Promise<string[]> {
  const data = (await client.get('instances'))['instances'] as Record<string, { location?: string }> | undefined;
  return Object.entries(data ?? {})
    .filter(([, instance]) => instance?.location === location)
    .map(([guid]) => guid);
}

/** Shows `count` on this tab's top bar icon(s), from any instance of the app. */
export async function showCount(client: IZafClient, count: number): Promise<void> {
  const symbol = iconSymbolFor(count);
  for (const guid of await instancesAt(client, 'top_bar')) await client.instance(guid).set('iconSymbol', symbol);
}

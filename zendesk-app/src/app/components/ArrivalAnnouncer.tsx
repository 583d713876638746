import { useEffect, useRef } from 'react';
import type { Translate } from '../lib/i18n';
import { useAnnounce } from './LiveRegion';

/**
 * Says once, through the app's one live region, how many approvals just arrived (a held list call or a
 * refresh brought them). Renders nothing; it must sit inside LiveRegionProvider.
 */
export function ArrivalAnnouncer({ newIds, t }: { newIds: ReadonlySet<string>; t: Translate }) {
  const announce = useAnnounce();
  const told = useRef(new Set<string>());
  useEffect(() => {
    const fresh = [...newIds].filter((id) => !told.current.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) told.current.add(id);
    announce(t('new_arrivals', { count: fresh.length }));
  }, [newIds, announce, t]);
  return null;
}

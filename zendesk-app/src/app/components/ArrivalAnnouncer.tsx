import { useEffect, useRef } from 'react';
import type { ApprovalView } from '../api/approval-view';
import type { Translate } from '../lib/i18n';
import { arrivalText } from './approval-card/announcements';
import { useAnnounce } from './LiveRegion';

/**
 * Says once, through the app's one live region, which approvals just arrived (a held list call or a
 * refresh brought them): "New approval: Refund order (Refund order #1001)". Renders nothing; it must sit
 * inside LiveRegionProvider.
 */
export function ArrivalAnnouncer({
  approvals,
  newIds,
  t,
}: {
  approvals: readonly ApprovalView[];
  newIds: ReadonlySet<string>;
  t: Translate;
}) {
  const announce = useAnnounce();
  const told = useRef(new Set<string>());
  useEffect(() => {
    const fresh = approvals.filter((a) => newIds.has(a.approvalId) && !told.current.has(a.approvalId));
    if (fresh.length === 0) return;
    for (const approval of fresh) told.current.add(approval.approvalId);
    announce(arrivalText(fresh, t));
  }, [approvals, newIds, announce, t]);
  return null;
}

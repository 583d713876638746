import { useEffect, useRef } from 'react';
import type { ApprovalView } from '../../api/approval-view';
import type { Translate } from '../../lib/i18n';
import { whoDecided } from './decision-words';
import { approvalName, decidedText } from './announcements';

export interface ICardAnnouncementsOptions {
  isExpired: boolean;
  isEscalated: boolean;
  /** This agent's decision met a 409. */
  isConflict: boolean;
  announce: (message: string) => void;
  t: Translate;
}

/**
 * Tells the live region what happened to this approval while it was on screen, naming it: decided (by this
 * agent or someone else), expired, escalated, or already decided when this agent's decision arrived (409).
 * What it was like when the card first rendered is not news.
 */
export function useCardAnnouncements(approval: ApprovalView, options: ICardAnnouncementsOptions) {
  const { isExpired, isEscalated, isConflict, announce, t } = options;
  const isPending = approval.status === 'pending';
  const was = useRef({ isPending, isExpired, isEscalated });
  useEffect(() => {
    const before = was.current;
    was.current = { isPending, isExpired, isEscalated };
    if (before.isPending && !isPending) {
      // a 409 says it its own way (below)
      if (!isConflict) announce(decidedText(approval, t));
    } else if (isPending && isExpired && !before.isExpired) {
      announce(t('announce_expired', { name: approvalName(approval, t) }));
    } else if (isPending && isEscalated && !before.isEscalated) {
      announce(t('announce_escalated', { name: approvalName(approval, t) }));
    }
  }, [isPending, isExpired, isEscalated, isConflict, approval, announce, t]);

  useEffect(() => {
    if (isConflict) announce(t('conflict', { who: whoDecided(approval.decidedBy, t) }));
  }, [isConflict]); // announce once, when the 409 arrives
}

import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ApprovalView } from '../api/approval-view';
import { useClient } from '../hooks/useClient';
import { authorityOf } from '../lib/authority';
import { detailRows } from '../lib/detail-rows';
import { expiryUrgency } from '../lib/format';
import { CardBody } from './approval-card/CardBody';
import { Card } from './approval-card/card.styles';
import { HistoryLine } from './approval-card/HistoryLine';
import { isOutcomeOpen } from './approval-card/outcome-plan-words';
import { PendingHeader } from './approval-card/PendingHeader';
import { useCardAnnouncements } from './approval-card/useCardAnnouncements';
import { useCardDecision } from './approval-card/useCardDecision';
import { useCardFocus } from './approval-card/useCardFocus';
import type { IDecideActionsHandle } from './DecideActions';
import { useAnnounce } from './LiveRegion';

export interface IApprovalCardProps {
  /** The approval to show and decide. */
  approval: ApprovalView;
  /** Current time (ms), so ages and expiry tick (useNow). */
  now: number;
  /** Called with the fresher approval after a decision or a conflict. */
  onUpdated: (approval: ApprovalView) => void;
  /** Queue only: opens the approval's ticket. */
  onOpenTicket?: (ticketId: string) => void;
  /** Arrived since the list was first shown: a small "New" tag. */
  isNew?: boolean;
  /**
   * The sidebar: a card that turns decided folds to its history line where it is (a 409 stays open, saying
   * who decided first). Without it (the queue's panel) it stays open.
   */
  collapsesWhenDecided?: boolean;
  /**
   * After this agent's decision settled the approval: the host moves focus (the sidebar, to the next
   * pending card). Without it the card takes focus itself.
   */
  onSettled?: (approvalId: string) => void;
}

/**
 * One approval. Pending: what the AI agent wants, why, the details, and the decisions. Decided: a one-line
 * history entry (outcome · title · who · when) that expands on demand.
 */
export function ApprovalCard(props: IApprovalCardProps) {
  const { approval, now, isNew = false, collapsesWhenDecided = false, onSettled } = props;
  const { t, locale, currentUser } = useClient();
  const announce = useAnnounce();
  const titleId = useId();
  const bodyId = useId();
  const requirementId = useId();
  const cardRef = useRef<HTMLElement>(null);
  const actionsRef = useRef<IDecideActionsHandle>(null);
  const focusSoon = useCardFocus(cardRef, actionsRef);
  const isPending = approval.status === 'pending';
  const isExpired = isPending && expiryUrgency(approval.expiresAt, now) === 'expired';
  // [5] re-read on every tick: at escalatesAt the widened deciders may turn the buttons on
  const authority = authorityOf(approval, currentUser, now);
  const flow = useCardDecision(approval, {
    isBlocked: isExpired || !authority.mayDecide,
    focusSoon,
    announce,
    onUpdated: props.onUpdated,
    // the article outlives the buttons that had focus: focused now, it keeps focus as they go
    onSettled: () => (onSettled ? onSettled(approval.approvalId) : cardRef.current?.focus()),
    t,
  });
  const { decision } = flow;
  useCardAnnouncements(approval, {
    isExpired,
    isEscalated: authority.isEscalated,
    isConflict: decision.isConflict,
    announce,
    t,
  });
  // a quorum counts each agent once: after this agent's approval only another agent's can complete it
  const hasOwnVote = isPending && !!approval.quorum?.approvals.some((vote) => vote.agent.id === currentUser.id);
  // an approval whose only detail is the ticket it is on has nothing more to show
  const hasDetailRows = useMemo(
    () => detailRows(approval.details, { ticketId: approval.ticketId, modified: null }).length > 0,
    [approval.details, approval.ticketId],
  );
  // what Cheqpoint does about a decision, while under way or failed, is shown without a click
  const isOutcomeShown = isOutcomeOpen(approval);
  const [isExpanded, setIsExpanded] = useState(isPending || isOutcomeShown);

  // [1] a refreshed approval makes an earlier failure's notice stale
  const { clearError } = decision;
  useEffect(() => clearError(), [approval, clearError]);

  // [2] a card that turns decided while on screen folds where it is (the sidebar) or stays open (the queue,
  // a 409); the decide buttons are gone, so focus that was in them must not drop to <body>
  const wasPending = useRef(isPending);
  useEffect(() => {
    if (wasPending.current && !isPending) {
      setIsExpanded(!collapsesWhenDecided || decision.isConflict || isOutcomeShown);
      const active = document.activeElement;
      const isOwn = flow.isOwnDecision.current;
      if (!isOwn && (active === document.body || active === null)) focusSoon('card');
    }
    wasPending.current = isPending;
  }, [isPending, collapsesWhenDecided, decision.isConflict, isOutcomeShown, flow.isOwnDecision, focusSoon]);

  const riskLabel = approval.riskLevel ? t(`risk_${approval.riskLevel}`) : null;
  return (
    <Card
      ref={cardRef}
      tabIndex={-1}
      aria-labelledby={titleId}
      $isDecided={!isPending}
      data-approval-id={approval.approvalId}
      data-status={approval.status}
      data-expanded={isExpanded}
      data-new={isNew || undefined}
    >
      {isPending ? (
        <PendingHeader approval={approval} titleId={titleId} isExpired={isExpired} isNew={isNew} t={t} />
      ) : (
        <HistoryLine
          approval={approval}
          now={now}
          titleId={titleId}
          bodyId={bodyId}
          isExpanded={isExpanded}
          isNew={isNew}
          onToggle={() => setIsExpanded((v) => !v)}
          t={t}
          locale={locale}
        />
      )}
      {isExpanded && (
        <CardBody
          approval={approval}
          now={now}
          bodyId={bodyId}
          requirementId={requirementId}
          flow={flow}
          authority={authority}
          riskLabel={riskLabel}
          isExpired={isExpired}
          hasOwnVote={hasOwnVote}
          hasDetailRows={hasDetailRows}
          actionsRef={actionsRef}
          onUpdated={props.onUpdated}
          onOpenTicket={props.onOpenTicket}
          locale={locale}
          t={t}
        />
      )}
    </Card>
  );
}

import type { RefObject } from 'react';
import { Button } from '@zendeskgarden/react-buttons';
import type { ApprovalView } from '../../api/approval-view';
import { useLazyPart } from '../../hooks/useLazyPart';
import { requirementText, type IAuthority } from '../../lib/authority';
import type { Translate } from '../../lib/i18n';
import { ClampedText } from '../ClampedText';
import { DecideActions, type IDecideActionsHandle } from '../DecideActions';
import { DetailsList } from '../DetailsList';
import { PolicyAndCallback } from '../PolicyAndCallback';
import { QuorumStatus } from '../QuorumStatus';
import { Section } from '../Section';
import { CardMeta } from './CardMeta';
import { Meta, Requirement, Summary, Why } from './card.styles';
import { cardParts } from './card-parts';
import { OutcomePlan } from './OutcomePlan';
import type { useCardDecision } from './useCardDecision';

export interface ICardBodyProps {
  approval: ApprovalView;
  now: number;
  bodyId: string;
  requirementId: string;
  flow: ReturnType<typeof useCardDecision>;
  authority: IAuthority;
  riskLabel: string | null;
  isExpired: boolean;
  /** This agent's approval of a quorum is counted already. */
  hasOwnVote: boolean;
  /** Anything beyond the ticket the approval is on to list. */
  hasDetailRows: boolean;
  actionsRef: RefObject<IDecideActionsHandle>;
  /** A fresher approval (a retried execution). */
  onUpdated: (approval: ApprovalView) => void;
  onOpenTicket: ((ticketId: string) => void) | undefined;
  locale: string;
  t: Translate;
}

/** The open card: summary, meta, the why, the details (or the Modify step), status, notices and actions. */
export function CardBody(props: ICardBodyProps) {
  const { approval, now, flow, authority, riskLabel, isExpired, hasOwnVote, locale, t } = props;
  const parts = useLazyPart(cardParts);
  const isPending = approval.status === 'pending';
  const isLackingAuthority = !authority.mayDecide;
  const { decision } = flow;
  return (
    <div id={props.bodyId}>
      <Summary>{approval.summary}</Summary>
      <CardMeta
        approval={approval}
        now={now}
        isEscalated={authority.isEscalated}
        riskLabel={riskLabel}
        locale={locale}
        t={t}
      />
      {approval.justification && (
        <Section title={t('justification')} isTitleHidden>
          <Why>
            <ClampedText text={approval.justification} t={t} />
          </Why>
        </Section>
      )}
      {flow.mode === 'modify' && isPending && parts ? (
        <parts.ModifyStep
          approval={approval}
          onDraft={flow.onDraft}
          onSubmit={() => void flow.decide('approve-modified')}
          locale={locale}
          t={t}
        />
      ) : props.hasDetailRows ? (
        <Section
          title={approval.modifiedDetails ? t('approved_changes') : t('details')}
          isTitleHidden={!approval.modifiedDetails}
        >
          <DetailsList
            details={approval.details}
            ticketId={approval.ticketId}
            modified={approval.status === 'approved' ? approval.modifiedDetails : null}
            locale={locale}
            t={t}
          />
        </Section>
      ) : null}
      <QuorumStatus approval={approval} hasOwnVote={hasOwnVote} t={t} />
      <PolicyAndCallback approval={approval} t={t} />
      {isPending && <OutcomePlan approval={approval} t={t} />}
      {parts && !isPending && <parts.DecisionSummary approval={approval} now={now} locale={locale} t={t} />}
      {parts && !isPending && (
        <parts.ExecutionStatus approval={approval} onUpdated={props.onUpdated} locale={locale} t={t} />
      )}
      {parts && (
        <parts.CardNotices
          approval={approval}
          isConflict={decision.isConflict}
          isNoteFailed={decision.isNoteFailed}
          error={decision.error}
          t={t}
        />
      )}
      {isPending && isLackingAuthority && authority.deciders && (
        <Requirement id={props.requirementId} data-requirement>
          {requirementText(authority.deciders, t)}
        </Requirement>
      )}
      {isPending && (
        <DecideActions
          ref={props.actionsRef}
          mode={flow.mode}
          isNoteOpen={flow.isNoteOpen}
          note={flow.note}
          isNoteMissing={flow.isNoteMissing}
          isBusy={decision.isBusy}
          isDisabled={isExpired || isLackingAuthority}
          describedBy={isLackingAuthority ? props.requirementId : undefined}
          isApproveDisabled={hasOwnVote}
          canModify={!approval.quorum}
          canApproveModified={flow.draft?.canApprove ?? false}
          riskLabel={riskLabel}
          onNote={flow.setNote}
          onOpenNote={flow.openNote}
          onCloseNote={flow.closeNote}
          onMode={flow.changeMode}
          onDecide={(kind) => void flow.decide(kind)}
          t={t}
        />
      )}
      {props.onOpenTicket && (
        <Meta>
          {approval.ticketId ? (
            <Button size="small" isLink onClick={() => props.onOpenTicket?.(approval.ticketId as string)}>
              {t('open_ticket', { id: approval.ticketId })}
            </Button>
          ) : (
            <span>{t('no_ticket')}</span>
          )}
        </Meta>
      )}
    </div>
  );
}

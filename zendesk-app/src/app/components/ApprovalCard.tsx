import { useEffect, useId, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../api/approval-view';
import { authorityProblem } from '../api/gateway-client';
import { useClient } from '../hooks/useClient';
import { useDecision } from '../hooks/useDecision';
import { authorityOf, requirementText } from '../lib/authority';
import { buildModifiedDetails, diffDetails, fieldSpecs, initialValues, type FieldValue } from '../lib/details-form';
import { expiryUrgency, formatAgo, formatDateTime, formatRelative, humanizeAction } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { ClampedText } from './ClampedText';
import { DecideActions, type DecideKind, type DecideMode, type IDecideActionsHandle } from './DecideActions';
import { DecisionSummary, decisionLine, whoDecided } from './DecisionSummary';
import { DetailsDiff } from './DetailsDiff';
import { DetailsList } from './DetailsList';
import { useAnnounce, VisuallyHidden } from './LiveRegion';
import { ModifyForm } from './ModifyForm';
import { PolicyAndCallback } from './PolicyAndCallback';
import { QuorumStatus } from './QuorumStatus';
import { Section } from './Section';
import { detailRows } from '../lib/detail-rows';

/** A plain article, not Garden's Well: `styled(Well)` with `as` sent Well's props (isRecessed) to the DOM. */
const Card = styled.article<{ $isDecided: boolean }>`
  padding: ${({ theme, $isDecided }) => ($isDecided ? `${theme.space.xxs} ${theme.space.sm}` : theme.space.sm)};
  border: ${({ theme }) => `${theme.borders.sm} ${getColor({ theme, variable: 'border.default' })}`};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  background-color: ${({ theme, $isDecided }) =>
    getColor({ theme, variable: $isDecided ? 'background.recessed' : 'background.default' })};

  &:focus-visible {
    outline: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.primaryEmphasis' })}`};
  }
`;

const Header = styled.div`
  display: flex;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.xs};

  h2 {
    flex: 1 1 auto;
    min-width: 0;
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    line-height: ${({ theme }) => theme.lineHeights.md};
    overflow-wrap: anywhere;
  }
`;

/** Tags beside the title never shrink ("Pend"), nor wrap. */
const Badges = styled.div`
  display: flex;
  flex-shrink: 0;
  gap: ${({ theme }) => theme.space.xxs};
  white-space: nowrap;
`;

const Summary = styled.p`
  margin: 0;
  overflow-wrap: anywhere;
`;

/** A div, not a p: Garden's Tag renders a div, which a p may not contain. */
const Meta = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => `${theme.space.xxs} ${theme.space.xs}`};
  align-items: center;
  margin: ${({ theme }) => theme.space.xxs} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const URGENCY_COLOR = { expired: 'foreground.danger', imminent: 'foreground.danger', soon: 'foreground.warning' };

const Expiry = styled.time<{ $urgency: keyof typeof URGENCY_COLOR | 'calm' }>`
  white-space: nowrap;
  font-weight: ${({ theme, $urgency }) => ($urgency === 'calm' ? 'inherit' : theme.fontWeights.semibold)};
  color: ${({ theme, $urgency }) =>
    $urgency === 'calm' ? 'inherit' : getColor({ theme, variable: URGENCY_COLOR[$urgency] })};
`;

/** The collapsed history line of a decided approval: one button, status · who · when. */
const Toggle = styled.button`
  display: flex;
  align-items: baseline;
  gap: ${({ theme }) => theme.space.xxs};
  width: 100%;
  padding: 0;
  border: 0;
  background: none;
  color: inherit;
  font: inherit;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  text-align: start;
  cursor: pointer;

  &:focus-visible {
    outline: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.primaryEmphasis' })}`};
  }
`;

/** One ellipsised part of the history line; `$shrink` says which gives way first. */
const Part = styled.span<{ $shrink: number }>`
  flex: 0 ${({ $shrink }) => $shrink} auto;
  min-width: ${({ $shrink }) => ($shrink === 0 ? 'auto' : '0')};
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
`;

const StatusWord = styled(Part)<{ $status: 'approved' | 'rejected' }>`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  color: ${({ theme, $status }) =>
    getColor({ theme, variable: $status === 'approved' ? 'foreground.success' : 'foreground.danger' })};
`;

const HistoryMeta = styled(Part)`
  font-weight: ${({ theme }) => theme.fontWeights.regular};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Chevron = styled.span`
  flex-shrink: 0;
  margin-inline-start: auto;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

/** The AI agent's justification, set off as a quote (its heading is for screen readers). */
const Why = styled.p`
  padding-inline-start: ${({ theme }) => theme.space.xs};
  border-inline-start: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.default' })}`};
  font-style: italic;
`;

const Notice = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

/** Why this agent cannot decide (approval authority), at the top of the actions it turns off. */
const Requirement = styled.p`
  margin: ${({ theme }) => theme.space.sm} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  overflow-wrap: anywhere;
`;

const STATUS_HUES = { pending: 'yellow', approved: 'green', rejected: 'red' } as const;
const RISK_HUES = { low: 'grey', medium: 'yellow', high: 'red', critical: 'red' } as const;
/** Risks for which Approve asks once more. */
const CONFIRMED_RISKS = ['high', 'critical'];

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
}

/**
 * One approval. Pending: what the AI agent wants, why, the details, and the decisions. Decided: a one-line
 * history entry (status · who · when) that expands on demand; one decided while open stays expanded.
 */
export function ApprovalCard({ approval, now, onUpdated, onOpenTicket, isNew = false }: IApprovalCardProps) {
  const { t, locale, currentUser } = useClient();
  const announce = useAnnounce();
  const titleId = useId();
  const bodyId = useId();
  const requirementId = useId();
  const cardRef = useRef<HTMLElement>(null);
  const actionsRef = useRef<IDecideActionsHandle>(null);
  const [mode, setMode] = useState<DecideMode>('view');
  const [isNoteOpen, setIsNoteOpen] = useState(false);
  const [note, setNote] = useState('');
  const [isNoteMissing, setIsNoteMissing] = useState(false);
  const specs = useMemo(() => fieldSpecs(approval.details, approval.limits), [approval.details, approval.limits]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(specs));
  const decision = useDecision(onUpdated);
  const isPending = approval.status === 'pending';
  // a quorum counts each agent once: after this agent's approval only another agent's can complete it
  const hasOwnVote = isPending && !!approval.quorum?.approvals.some((vote) => vote.agent.id === currentUser.id);
  // an approval whose only detail is the ticket it is on has nothing more to show
  const hasDetailRows = useMemo(
    () => detailRows(approval.details, { ticketId: approval.ticketId, modified: null }).length > 0,
    [approval.details, approval.ticketId],
  );
  const [isExpanded, setIsExpanded] = useState(isPending);
  const focusNext = useRef<Parameters<IDecideActionsHandle['focus']>[0] | 'card' | null>(null);

  // [1] a refreshed approval makes an earlier failure's notice stale
  const { clearError } = decision;
  useEffect(() => clearError(), [approval, clearError]);

  // [2] a card that turns decided while open stays expanded; a refresh that brings it says so neutrally
  const wasPending = useRef(isPending);
  const isOwnDecision = useRef(false);
  useEffect(() => {
    if (wasPending.current && !isPending) {
      setIsExpanded(true);
      if (!isOwnDecision.current) announce(decisionLine(approval, t));
      // the decide buttons are gone: keep keyboard focus on this card instead of dropping it to <body>
      const active = document.activeElement;
      if (isOwnDecision.current || active === document.body || active === null) focusNext.current = 'card';
    }
    wasPending.current = isPending;
  }, [isPending, approval, announce, t]);

  useEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    focusNext.current = null;
    if (target === 'card') cardRef.current?.focus();
    else actionsRef.current?.focus(target);
  });

  const modified = useMemo(() => buildModifiedDetails(specs, values), [specs, values]);
  const changes = useMemo(() => diffDetails(approval.details, modified.details), [approval.details, modified.details]);
  const hasErrors = Object.keys(modified.errors).length > 0;
  const urgency = expiryUrgency(approval.expiresAt, now);
  const isExpired = isPending && urgency === 'expired';
  // [5] re-read on every tick: at escalatesAt the widened deciders may turn the buttons on
  const authority = authorityOf(approval, currentUser, now);
  const isLackingAuthority = !authority.mayDecide;
  const riskLabel = approval.riskLevel ? t(`risk_${approval.riskLevel}`) : null;

  function changeMode(next: DecideMode) {
    // focus follows the step: the note to write, the question's confirm, or back to the button that opened it
    if (next === 'reject') focusNext.current = 'note';
    else if (next === 'confirm-approve') focusNext.current = 'confirm';
    else if (next === 'view')
      focusNext.current = mode === 'reject' ? 'reject' : mode === 'modify' ? 'modify' : 'approve';
    if (next === 'modify') setValues(initialValues(specs)); // ModifyForm focuses its first field itself
    setIsNoteMissing(false);
    setMode(next);
  }

  async function decide(kind: DecideKind) {
    // [3] no call once expired (the expiry has decided), nor without authority (the gateway would refuse it)
    if (isExpired || isLackingAuthority || decision.isBusy) return;
    if (kind === 'approve' && mode === 'view' && CONFIRMED_RISKS.includes(approval.riskLevel ?? '')) {
      changeMode('confirm-approve');
      return;
    }
    if (kind === 'reject' && !note.trim()) {
      setIsNoteMissing(true);
      focusNext.current = 'note';
      announce(t('note_required'));
      return;
    }
    if (kind === 'approve-modified' && (hasErrors || changes.length === 0)) return;
    isOwnDecision.current = true;
    const isDone = await decision.submit(approval.approvalId, {
      decision: kind === 'reject' ? 'reject' : 'approve',
      note,
      ...(kind === 'approve-modified' ? { modifiedDetails: modified.details } : {}),
    });
    if (isDone) {
      setMode('view');
      focusNext.current = 'card';
    } else isOwnDecision.current = false;
  }

  useEffect(() => {
    if (decision.isConflict) announce(t('conflict', { who: whoDecided(approval.decidedBy, t) }));
  }, [decision.isConflict]); // announce once, when the 409 arrives

  // [4] near the end the countdown is red and says so to screen readers too (a <time> may not carry aria-label)
  const expiry = isPending && (
    <>
      {urgency === 'imminent' && <VisuallyHidden>{t('expires_soon')}</VisuallyHidden>}
      <Expiry
        dateTime={approval.expiresAt}
        title={formatDateTime(approval.expiresAt, locale)}
        $urgency={urgency}
        data-urgency={urgency}
      >
        {isExpired ? t('expired') : t('expires_at', { time: formatRelative(approval.expiresAt, now, locale) })}
      </Expiry>
    </>
  );

  return (
    <Card
      ref={cardRef}
      tabIndex={-1}
      aria-labelledby={titleId}
      $isDecided={!isPending}
      data-approval-id={approval.approvalId}
      data-status={approval.status}
      data-expanded={isExpanded}
    >
      {isPending ? (
        <Header>
          <h2 id={titleId}>{humanizeAction(approval.action)}</h2>
          <Badges>
            {isNew && (
              <Tag hue="blue" isPill size="small">
                {t('new_badge')}
              </Tag>
            )}
            <Tag hue={STATUS_HUES[approval.status]} isPill size="small">
              {isExpired ? t('expired') : t(`status_${approval.status}`)}
            </Tag>
          </Badges>
        </Header>
      ) : (
        <HistoryHeader
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
        <div id={bodyId}>
          <Summary>{approval.summary}</Summary>
          <Meta>
            {approval.riskLevel && (
              <Tag hue={RISK_HUES[approval.riskLevel]} size="small" isRegular>
                {t('risk', { level: riskLabel ?? '' })}
              </Tag>
            )}
            {authority.isEscalated && (
              <Tag hue="orange" size="small" isRegular title={t('escalated_title')}>
                {t('escalated')}
              </Tag>
            )}
            {approval.priority && (
              <Tag hue="grey" size="small" isRegular>
                {t('priority', { level: t(`priority_${approval.priority}`) })}
              </Tag>
            )}
            <time dateTime={approval.createdAt} title={formatDateTime(approval.createdAt, locale)}>
              {approval.agentName
                ? t('requested_by_at', { name: approval.agentName, time: formatAgo(approval.createdAt, now, locale) })
                : t('requested_at', { time: formatAgo(approval.createdAt, now, locale) })}
            </time>
            {expiry}
          </Meta>
          {approval.justification && (
            <Section title={t('justification')} isTitleHidden>
              <Why>
                <ClampedText text={approval.justification} t={t} />
              </Why>
            </Section>
          )}
          {mode === 'modify' && isPending ? (
            <Section title={t('modify_title')}>
              <ModifyForm
                specs={specs}
                values={values}
                errors={modified.errors}
                onChange={(key, value) => setValues((prev) => ({ ...prev, [key]: value }))}
                onSubmit={() => void decide('approve-modified')}
                locale={locale}
                t={t}
              />
              <Section title={t('changes_title')}>
                <DetailsDiff changes={changes} t={t} />
              </Section>
            </Section>
          ) : hasDetailRows ? (
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
          {!isPending && <DecisionSummary approval={approval} now={now} locale={locale} t={t} />}
          {!isPending && decision.isConflict && (
            <Notice>
              <Alert type="warning">{t('conflict', { who: whoDecided(approval.decidedBy, t) })}</Alert>
            </Notice>
          )}
          {decision.isNoteFailed && (
            <Notice>
              <Alert type="warning">{t('note_failed')}</Alert>
            </Notice>
          )}
          {decision.error && (
            <Notice>
              <Alert type="error" role="alert">
                {/* [6] failed over approval authority: the gateway's detail says why (and who may decide) */}
                {authorityProblem(decision.error) ??
                  t('decision_failed', {
                    reason:
                      decision.error.fieldErrors.map((e) => `${e.path}: ${e.message}`).join('; ') ||
                      errorReason(decision.error.kind, t, decision.error.status),
                  })}
              </Alert>
            </Notice>
          )}
          {isPending && isLackingAuthority && authority.deciders && (
            <Requirement id={requirementId} data-requirement>
              {requirementText(authority.deciders, t)}
            </Requirement>
          )}
          {isPending && (
            <DecideActions
              ref={actionsRef}
              mode={mode}
              isNoteOpen={isNoteOpen}
              note={note}
              isNoteMissing={isNoteMissing}
              isBusy={decision.isBusy}
              isDisabled={isExpired || isLackingAuthority}
              describedBy={isLackingAuthority ? requirementId : undefined}
              isApproveDisabled={hasOwnVote}
              canModify={!approval.quorum}
              canApproveModified={!hasErrors && changes.length > 0}
              riskLabel={riskLabel}
              onNote={(text) => {
                setNote(text);
                if (text.trim()) setIsNoteMissing(false);
              }}
              onOpenNote={() => {
                focusNext.current = 'note';
                setIsNoteOpen(true);
              }}
              onMode={changeMode}
              onDecide={(kind) => void decide(kind)}
              t={t}
            />
          )}
          {onOpenTicket && (
            <Meta>
              {approval.ticketId ? (
                <Button size="small" isLink onClick={() => onOpenTicket(approval.ticketId as string)}>
                  {t('open_ticket', { id: approval.ticketId })}
                </Button>
              ) : (
                <span>{t('no_ticket')}</span>
              )}
            </Meta>
          )}
        </div>
      )}
    </Card>
  );
}

interface IHistoryHeaderProps {
  approval: ApprovalView;
  now: number;
  titleId: string;
  bodyId: string;
  isExpanded: boolean;
  isNew: boolean;
  onToggle: () => void;
  t: Translate;
  locale: string;
}

/** The one line a decided approval shows: "Approved Refund order · Grace Hopper · 3 minutes ago". */
function HistoryHeader({
  approval,
  now,
  titleId,
  bodyId,
  isExpanded,
  isNew,
  onToggle,
  t,
  locale,
}: IHistoryHeaderProps) {
  const status = approval.status === 'approved' ? 'approved' : 'rejected';
  const when = approval.decidedAt ? formatAgo(approval.decidedAt, now, locale) : '';
  const who = whoDecided(approval.decidedBy, t);
  const line = [who, when].filter(Boolean).join(' · ');
  return (
    <Header>
      <h2 id={titleId}>
        <Toggle
          type="button"
          aria-expanded={isExpanded}
          aria-controls={bodyId}
          title={`${decisionLine(approval, t)}${when ? ` · ${when}` : ''}`}
          onClick={onToggle}
        >
          <StatusWord $shrink={0} $status={status}>
            {t(`status_${status}`)}
          </StatusWord>
          <Part $shrink={1}>{humanizeAction(approval.action)}</Part>
          {line && <HistoryMeta $shrink={20}>· {line}</HistoryMeta>}
          <Chevron aria-hidden="true">{isExpanded ? '▴' : '▾'}</Chevron>
        </Toggle>
      </h2>
      {isNew && (
        <Badges>
          <Tag hue="blue" isPill size="small">
            {t('new_badge')}
          </Tag>
        </Badges>
      )}
    </Header>
  );
}

/** A short reason for a failed call, for the card's error notice. */
export function errorReason(kind: string, t: Translate, status?: number): string {
  if (kind === 'unreachable') return t('error_unreachable_title');
  if (kind === 'unauthorized') return t('error_unauthorized_title');
  if (kind === 'not-configured') return t('error_not_configured_title');
  if (kind === 'invalid-reply') return t('error_invalid_reply');
  return t('error_generic_body', { status: status ?? 0 });
}

import { useEffect, useId, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Textarea } from '@zendeskgarden/react-forms';
import { Alert, Well } from '@zendeskgarden/react-notifications';
import { Tag } from '@zendeskgarden/react-tags';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../api/approval-view';
import { useClient } from '../hooks/useClient';
import { useDecision } from '../hooks/useDecision';
import { buildModifiedDetails, diffDetails, fieldSpecs, initialValues, type FieldValue } from '../lib/details-form';
import { formatDateTime, formatRelative, humanizeAction } from '../lib/format';
import { DecisionSummary, whoDecided } from './DecisionSummary';
import { DetailsDiff } from './DetailsDiff';
import { DetailsList } from './DetailsList';
import { ModifyForm } from './ModifyForm';
import { PolicyAndCallback } from './PolicyAndCallback';
import { Section } from './Section';

const Card = styled(Well)`
  padding: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => `${theme.borders.sm} ${getColor({ theme, variable: 'border.default' })}`};

  & + & {
    margin-top: ${({ theme }) => theme.space.sm};
  }
`;

const Header = styled.div`
  display: flex;
  align-items: flex-start;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.xs};

  h2 {
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    line-height: ${({ theme }) => theme.lineHeights.md};
  }
`;

const Summary = styled.p`
  margin: ${({ theme }) => theme.space.xxs} 0 0;
  overflow-wrap: anywhere;
`;

const Meta = styled.p`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => `${theme.space.xxs} ${theme.space.xs}`};
  align-items: center;
  margin: ${({ theme }) => theme.space.xs} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Actions = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Notice = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

const STATUS_HUES = { pending: 'yellow', approved: 'green', rejected: 'red' } as const;
const RISK_HUES = { low: 'grey', medium: 'yellow', high: 'red', critical: 'red' } as const;

export interface IApprovalCardProps {
  /** The approval to show and decide. */
  approval: ApprovalView;
  /** Current time (ms), so ages and expiry tick with the list's refresh. */
  now: number;
  /** Called with the fresher approval after a decision or a conflict. */
  onUpdated: (approval: ApprovalView) => void;
  /** Queue only: opens the approval's ticket. */
  onOpenTicket?: (ticketId: string) => void;
}

/** One approval: what the AI agent wants, why, the details, and Approve / Reject / Modify while pending. */
export function ApprovalCard({ approval, now, onUpdated, onOpenTicket }: IApprovalCardProps) {
  const { t, locale } = useClient();
  const titleId = useId();
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const cardRef = useRef<HTMLElement>(null);
  const [mode, setMode] = useState<'view' | 'modify'>('view');
  const [note, setNote] = useState('');
  const [isNoteMissing, setIsNoteMissing] = useState(false);
  const specs = useMemo(() => fieldSpecs(approval.details, approval.limits), [approval.details, approval.limits]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(specs));
  const decision = useDecision(onUpdated);
  const isPending = approval.status === 'pending';

  // [1] a pending card that turns decided without our own decision (refresh after a decision elsewhere)
  const wasPending = useRef(isPending);
  const [isDecidedElsewhere, setIsDecidedElsewhere] = useState(false);
  useEffect(() => {
    if (wasPending.current && !isPending) {
      if (!decision.isBusy) setIsDecidedElsewhere(true);
      // [2] the decide buttons are gone: keep keyboard focus on this card instead of dropping it to <body>
      const active = document.activeElement;
      if (cardRef.current && (active === document.body || active === null)) cardRef.current.focus();
    }
    wasPending.current = isPending;
  }, [isPending, decision.isBusy]);

  const modified = useMemo(() => buildModifiedDetails(specs, values), [specs, values]);
  const changes = useMemo(() => diffDetails(approval.details, modified.details), [approval.details, modified.details]);
  const hasErrors = Object.keys(modified.errors).length > 0;
  const isExpired = isPending && Date.parse(approval.expiresAt) <= now;

  async function decide(kind: 'approve' | 'reject' | 'approve-modified') {
    if (kind === 'reject' && !note.trim()) {
      setIsNoteMissing(true);
      noteRef.current?.focus();
      return;
    }
    const isDone = await decision.submit(approval.approvalId, {
      decision: kind === 'reject' ? 'reject' : 'approve',
      note,
      ...(kind === 'approve-modified' ? { modifiedDetails: modified.details } : {}),
    });
    if (isDone) setMode('view');
  }

  const statusLabel = t(`status_${approval.status}`);
  const isConflictShown = !isPending && (decision.isConflict || isDecidedElsewhere);

  return (
    <Card
      ref={cardRef}
      as="article"
      tabIndex={-1}
      aria-labelledby={titleId}
      isRecessed={!isPending}
      data-approval-id={approval.approvalId}
      data-status={approval.status}
    >
      <Header>
        <h2 id={titleId}>{humanizeAction(approval.action)}</h2>
        <Tag hue={STATUS_HUES[approval.status]} isPill size="small">
          {statusLabel}
        </Tag>
      </Header>
      <Summary>{approval.summary}</Summary>
      <Meta>
        {approval.riskLevel && (
          <Tag hue={RISK_HUES[approval.riskLevel]} size="small" isRegular>
            {t('risk', { level: t(`risk_${approval.riskLevel}`) })}
          </Tag>
        )}
        {approval.priority && (
          <Tag hue="grey" size="small" isRegular>
            {t('priority', { level: t(`priority_${approval.priority}`) })}
          </Tag>
        )}
        {approval.agentName && <span>{t('requested_by', { name: approval.agentName })}</span>}
        <time dateTime={approval.createdAt} title={formatDateTime(approval.createdAt, locale)}>
          {t('requested_at', { time: formatRelative(approval.createdAt, now, locale) })}
        </time>
        {isPending && (
          <time dateTime={approval.expiresAt} title={formatDateTime(approval.expiresAt, locale)}>
            {isExpired ? t('expired') : t('expires_at', { time: formatRelative(approval.expiresAt, now, locale) })}
          </time>
        )}
      </Meta>
      {approval.justification && (
        <Section title={t('justification')}>
          <p>{approval.justification}</p>
        </Section>
      )}
      {mode === 'view' ? (
        <Section title={t('details')}>
          <DetailsList details={approval.details} t={t} />
        </Section>
      ) : (
        <Section title={t('modify_title')}>
          <ModifyForm
            specs={specs}
            values={values}
            errors={modified.errors}
            onChange={(key, value) => setValues((prev) => ({ ...prev, [key]: value }))}
            t={t}
          />
          <Section title={t('changes_title')}>
            <div aria-live="polite">
              <DetailsDiff changes={changes} t={t} />
            </div>
          </Section>
        </Section>
      )}
      <PolicyAndCallback approval={approval} t={t} />
      {!isPending && <DecisionSummary approval={approval} now={now} locale={locale} t={t} />}
      <div role="status" aria-live="polite">
        {isConflictShown && (
          <Notice>
            <Alert type="warning">{t('conflict', { who: whoDecided(approval.decidedBy, t) })}</Alert>
          </Notice>
        )}
        {decision.isNoteFailed && (
          <Notice>
            <Alert type="warning">{t('note_failed')}</Alert>
          </Notice>
        )}
      </div>
      {decision.error && (
        <Notice>
          <Alert type="error" role="alert">
            {t('decision_failed', {
              reason:
                decision.error.fieldErrors.map((e) => `${e.path}: ${e.message}`).join('; ') ||
                errorReason(decision.error.kind, t, decision.error.status),
            })}
          </Alert>
        </Notice>
      )}
      {isPending && (
        <>
          <Notice>
            <Field>
              <Field.Label>{t('note_label')}</Field.Label>
              <Field.Hint>{t('note_hint')}</Field.Hint>
              <Textarea
                ref={noteRef}
                isCompact
                minRows={2}
                maxRows={6}
                value={note}
                maxLength={2000}
                validation={isNoteMissing && !note.trim() ? 'error' : undefined}
                onChange={(event) => {
                  setNote(event.target.value);
                  if (event.target.value.trim()) setIsNoteMissing(false);
                }}
              />
              {isNoteMissing && !note.trim() && <Field.Message validation="error">{t('note_required')}</Field.Message>}
            </Field>
          </Notice>
          <Actions>
            {mode === 'view' ? (
              <>
                <Button size="small" isPrimary disabled={decision.isBusy} onClick={() => void decide('approve')}>
                  {decision.isBusy ? t('saving') : t('approve')}
                </Button>
                <Button size="small" isDanger disabled={decision.isBusy} onClick={() => void decide('reject')}>
                  {t('reject')}
                </Button>
                <Button
                  size="small"
                  isBasic
                  disabled={decision.isBusy}
                  onClick={() => {
                    setValues(initialValues(specs));
                    setMode('modify');
                  }}
                >
                  {t('modify')}
                </Button>
              </>
            ) : (
              <>
                <Button
                  size="small"
                  isPrimary
                  disabled={decision.isBusy || hasErrors || changes.length === 0}
                  onClick={() => void decide('approve-modified')}
                >
                  {decision.isBusy ? t('saving') : t('approve_with_changes')}
                </Button>
                <Button size="small" isBasic disabled={decision.isBusy} onClick={() => setMode('view')}>
                  {t('cancel')}
                </Button>
              </>
            )}
          </Actions>
        </>
      )}
      {onOpenTicket && (
        <Actions>
          {approval.ticketId ? (
            <Button size="small" isLink onClick={() => onOpenTicket(approval.ticketId as string)}>
              {t('open_ticket', { id: approval.ticketId })}
            </Button>
          ) : (
            <Meta as="span">{t('no_ticket')}</Meta>
          )}
        </Actions>
      )}
    </Card>
  );
}

/** A short reason for a failed call, for the card's error notice. */
export function errorReason(kind: string, t: ReturnType<typeof useClient>['t'], status?: number): string {
  if (kind === 'unreachable') return t('error_unreachable_title');
  if (kind === 'unauthorized') return t('error_unauthorized_title');
  if (kind === 'not-configured') return t('error_not_configured_title');
  if (kind === 'invalid-reply') return t('error_invalid_reply');
  return t('error_generic_body', { status: status ?? 0 });
}

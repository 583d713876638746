import { Alert } from '@zendeskgarden/react-notifications';
import type { ApprovalView } from '../../api/approval-view';
import { authorityProblem, type GatewayError } from '../../api/gateway-client';
import type { Translate } from '../../lib/i18n';
import { whoDecided } from './decision-words';
import { Notice } from './card.styles';

export interface ICardNoticesProps {
  approval: ApprovalView;
  /** The decision met a 409: someone decided first. */
  isConflict: boolean;
  /** The decision landed but the internal note did not reach the ticket. */
  isNoteFailed: boolean;
  error: GatewayError | null;
  t: Translate;
}

/** What went wrong with this agent's decision: a 409, the ticket note, or the call itself. */
export function CardNotices({ approval, isConflict, isNoteFailed, error, t }: ICardNoticesProps) {
  return (
    <>
      {approval.status !== 'pending' && isConflict && (
        <Notice>
          <Alert type="warning">{t('conflict', { who: whoDecided(approval.decidedBy, t) })}</Alert>
        </Notice>
      )}
      {isNoteFailed && (
        <Notice>
          <Alert type="warning">{t('note_failed')}</Alert>
        </Notice>
      )}
      {error && (
        <Notice>
          <Alert type="error" role="alert">
            {/* [1] failed over approval authority: the gateway's detail says why (and who may decide) */}
            {authorityProblem(error) ??
              t('decision_failed', {
                reason:
                  error.fieldErrors.map((e) => `${e.path}: ${e.message}`).join('; ') ||
                  errorReason(error.kind, t, error.status),
              })}
          </Alert>
        </Notice>
      )}
    </>
  );
}

/** A short reason for a failed call, for the card's error notice. */
export function errorReason(kind: GatewayError['kind'], t: Translate, status?: number): string {
  switch (kind) {
    case 'unreachable':
      return t('error_unreachable_title');
    case 'unauthorized':
      return t('error_unauthorized_title');
    case 'not-configured':
      return t('error_not_configured_title');
    case 'invalid-reply':
      return t('error_invalid_reply');
    case 'http':
      return t('error_generic_body', { status: status ?? 0 });
  }
}

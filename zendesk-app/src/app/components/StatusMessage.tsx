import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert, Well } from '@zendeskgarden/react-notifications';
import { getColor } from '@zendeskgarden/react-theming';
import type { GatewayError } from '../api/gateway-client';
import type { Translate, UiKey } from '../lib/i18n';

const Empty = styled(Well)`
  padding: ${({ theme }) => theme.space.md};

  h2 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }

  p {
    margin: 0;
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }
`;

export interface IEmptyStateProps {
  title: string;
  /** What will appear here, and when. */
  body: string;
}

/** Says what this space is for when there is nothing to show yet (the app's live region announces it). */
export function EmptyState({ title, body }: IEmptyStateProps) {
  return (
    <Empty isRecessed>
      <h2>{title}</h2>
      <p>{body}</p>
    </Empty>
  );
}

const ERROR_TEXT: Record<GatewayError['kind'], [UiKey, UiKey]> = {
  unreachable: ['error_unreachable_title', 'error_unreachable_body'],
  unauthorized: ['error_unauthorized_title', 'error_unauthorized_body'],
  'not-configured': ['error_not_configured_title', 'error_not_configured_body'],
  'invalid-reply': ['error_generic_title', 'error_invalid_reply'],
  http: ['error_generic_title', 'error_generic_body'],
};

export interface IErrorStateProps {
  error: GatewayError;
  onRetry: () => void;
  t: Translate;
  /** Smaller notice above existing cards (a background refresh failed). */
  isInline?: boolean;
}

/** Unreachable gateway, refused key or another failure, with a retry button. */
export function ErrorState({ error, onRetry, t, isInline = false }: IErrorStateProps) {
  const [title, body] = ERROR_TEXT[error.kind];
  return (
    <Alert type={isInline ? 'warning' : 'error'} role="alert">
      <Alert.Title>{t(title)}</Alert.Title>
      <p style={{ margin: '0 0 8px' }}>{t(body, { status: error.status ?? 0 })}</p>
      <Button size="small" onClick={onRetry}>
        {t('retry')}
      </Button>
    </Alert>
  );
}

import styled from 'styled-components';
import { Skeleton } from '@zendeskgarden/react-loaders';
import { Well } from '@zendeskgarden/react-notifications';

const Placeholder = styled(Well)`
  padding: ${({ theme }) => theme.space.md};

  & + & {
    margin-top: ${({ theme }) => theme.space.sm};
  }
`;

/** Grey bars in the shape of a card while approvals load. */
export function CardSkeleton() {
  return (
    <Placeholder aria-hidden="true" data-testid="card-skeleton">
      <Skeleton width="60%" height="18px" />
      <Skeleton width="90%" />
      <Skeleton width="40%" />
      <Skeleton width="100%" height="48px" />
    </Placeholder>
  );
}

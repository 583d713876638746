import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../api/approval-view';
import type { Translate } from '../lib/i18n';

const Lines = styled.div`
  margin: ${({ theme }) => theme.space.xs} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};

  p {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;

const Progress = styled.p`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Waiting = styled.p`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IQuorumStatusProps {
  approval: ApprovalView;
  /** This agent's approval is among those counted (pending only): Approve is off, another agent is needed. */
  hasOwnVote: boolean;
  t: Translate;
}

/**
 * An approval that needs several approvers: "1 of 2 approvals · Ada Lovelace", and after this agent's
 * own approval "Waiting for another approver" (a status region, so it is read out when it appears).
 */
export function QuorumStatus({ approval, hasOwnVote, t }: IQuorumStatusProps) {
  const { quorum } = approval;
  if (!quorum) return null;
  const names = quorum.approvals.map((v) => v.agent.name).join(', ');
  const progress = t('quorum_progress', { count: quorum.approvals.length, required: quorum.required });
  return (
    <Lines data-quorum={`${quorum.approvals.length}/${quorum.required}`}>
      <Progress>{names ? `${progress} · ${names}` : progress}</Progress>
      <div role="status">{hasOwnVote && <Waiting>{t('quorum_waiting')}</Waiting>}</div>
    </Lines>
  );
}

import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../api/approval-view';
import type { Translate } from '../lib/i18n';

const Lines = styled.ul`
  margin: ${({ theme }) => theme.space.xs} 0 0;
  padding: 0;
  list-style: none;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IPolicyAndCallbackProps {
  approval: ApprovalView;
  t: Translate;
}

/** The policy verdict (deciding rule, dry runs) and callback delivery state, when the gateway reports them. */
export function PolicyAndCallback({ approval, t }: IPolicyAndCallbackProps) {
  const { policy, callback } = approval;
  const lines: string[] = [];
  if (policy?.rule) lines.push(t('policy', { rule: policy.rule }));
  for (const run of policy?.dryRun ?? []) {
    lines.push(t('policy_dry_run', { rule: run.rule, outcome: t(run.wouldHave) }));
  }
  if (callback) {
    lines.push(t('callback', { status: t(`callback_${callback.status}`), attempts: callback.attempts }));
    if (callback.lastError && callback.status !== 'delivered') lines.push(callback.lastError);
  }
  if (lines.length === 0) return null;
  return (
    <Lines>
      {lines.map((line, index) => (
        <li key={index}>{line}</li>
      ))}
    </Lines>
  );
}

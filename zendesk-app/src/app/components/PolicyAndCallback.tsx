import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import type { ApprovalView } from '../api/approval-view';
import type { Translate } from '../lib/i18n';

const Lines = styled.ul`
  margin: ${({ theme }) => theme.space.xs} 0 0;
  padding: 0;
  list-style: none;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

/** Why a person is asked, and what trial-mode rules would have done, in words an agent reads. */
export function policyLines(approval: ApprovalView, t: Translate): string[] {
  const { policy } = approval;
  if (!policy) return [];
  const lines: string[] = [];
  // [1] a rule that decided itself is named in the decision line ("Approved by policy …")
  if (policy.outcome === 'require_human') {
    lines.push(policy.rule ? t('policy_needs_person', { rule: policy.rule }) : t('policy_no_rule'));
  }
  for (const run of policy.dryRun) {
    lines.push(t(run.wouldHave === 'approve' ? 'policy_trial_approve' : 'policy_trial_reject', { rule: run.rule }));
  }
  return lines;
}

/** Whether the AI agent has been told the decision (decided approvals with a callback only). */
export function callbackLines(approval: ApprovalView, t: Translate): string[] {
  const { callback } = approval;
  if (!callback || approval.status === 'pending') return [];
  const status = t(`callback_${callback.status}`);
  const lines = [
    callback.attempts > 1 ? t('callback_attempts', { status, attempts: callback.attempts }) : t('callback', { status }),
  ];
  if (callback.lastError && callback.status !== 'delivered') lines.push(callback.lastError);
  return lines;
}

export interface IPolicyAndCallbackProps {
  approval: ApprovalView;
  t: Translate;
}

/** The policy's verdict and, once decided, the callback's delivery, when the gateway reports them. */
export function PolicyAndCallback({ approval, t }: IPolicyAndCallbackProps) {
  const lines = [...policyLines(approval, t), ...callbackLines(approval, t)];
  if (lines.length === 0) return null;
  return (
    <Lines>
      {lines.map((line, index) => (
        <li key={index}>{line}</li>
      ))}
    </Lines>
  );
}

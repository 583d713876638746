import type { ApprovalView } from '../../api/approval-view';
import type { Translate } from '../../lib/i18n';
import { PlanLines } from './card.styles';
import { planLines } from './outcome-plan-words';

export interface IOutcomePlanProps {
  approval: ApprovalView;
  t: Translate;
}

/**
 * A pending card's "what will happen" above its buttons (on first paint, so kept to a few lines of code):
 * the request's method and host are the tooltip, the system's name is in the sentence.
 */
export function OutcomePlan({ approval, t }: IOutcomePlanProps) {
  const lines = planLines(approval, t);
  if (lines.length === 0) return null;
  const execute = approval.outcomePlan?.execute;
  return (
    <PlanLines data-testid="outcome-plan" title={execute ? `${execute.method} ${execute.host}` : undefined}>
      {lines.map((line) => (
        <li key={line}>{line}</li>
      ))}
    </PlanLines>
  );
}

import type { ApprovalView } from '../../api/approval-view';
import { humanizeAction } from '../../lib/format';
import type { Translate } from '../../lib/i18n';
import { decisionLine } from './decision-words';

/** "Refund order (Refund order #1001)": which approval, for the live region (a title alone can repeat). */
export const approvalName = (approval: ApprovalView, t: Translate) =>
  t('approval_name', { action: humanizeAction(approval.action), summary: approval.summary });

/** "New approval: Refund order (Refund order #1001)", or the count and every name. */
export function arrivalText(arrived: readonly ApprovalView[], t: Translate): string {
  const names = arrived.map((approval) => approvalName(approval, t));
  return names.length === 1
    ? t('announce_new', { name: names[0] ?? '' })
    : t('announce_new_many', { count: names.length, names: names.join('; ') });
}

/** "Refund order (Refund order #1001): Approved by Grace Hopper". */
export const decidedText = (approval: ApprovalView, t: Translate) =>
  t('announce_decided', { name: approvalName(approval, t), outcome: decisionLine(approval, t) });

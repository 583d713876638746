import type { CustomerReplyState, ExecutionState } from '@cheqpoint/shared';
import type { ApprovalView } from '../../api/approval-view';
import type { Translate } from '../../lib/i18n';

/** "14:05": when the next attempt is due, in the agent's locale. */
const clock = (iso: string, locale: string) =>
  new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

/** "Done: Billing answered 200", "Billing: sending…, attempt 2 at 14:05", "Not done: Billing answered 422". */
export function executionLine(execution: ExecutionState, t: Translate, locale: string): string {
  const system = execution.name;
  switch (execution.status) {
    case 'succeeded':
      return t('exec_done', { system, status: execution.lastStatus ?? '2xx' });
    case 'pending':
      // attempts counts the requests sent: the first is due at once, a later one at nextAttemptAt
      return execution.attempts > 0 && execution.nextAttemptAt
        ? t('exec_sending_attempt', {
            system,
            attempt: execution.attempts + 1,
            time: clock(execution.nextAttemptAt, locale),
          })
        : t('exec_sending', { system });
    case 'failed':
      return execution.lastStatus === null
        ? t('exec_failed', { system })
        : t('exec_failed_status', { system, status: execution.lastStatus });
    case 'skipped':
      return t('exec_skipped', { system });
  }
}

/** "replied to the customer", or why not yet / not at all. */
export function replyLine(reply: CustomerReplyState, t: Translate): string {
  switch (reply.status) {
    case 'added':
      return t('reply_added');
    case 'pending':
      return t('reply_pending');
    case 'failed':
      return t('reply_failed');
    case 'skipped':
      return t('reply_skipped');
  }
}

/**
 * What Cheqpoint did about a decided approval, one sentence: "Done: Billing answered 200 · replied to the
 * customer"; null when it does nothing (no plan for the action, or nothing due for this outcome).
 */
export function outcomeText(approval: ApprovalView, t: Translate, locale: string): string | null {
  const parts: string[] = [];
  if (approval.execution) parts.push(executionLine(approval.execution, t, locale));
  if (approval.customerReply) parts.push(replyLine(approval.customerReply, t));
  const text = parts.join(' · ');
  // a reply alone starts the sentence ("Replied to the customer")
  return text ? text.charAt(0).toLocaleUpperCase(locale) + text.slice(1) : null;
}

/** What changed enough to tell the live region: a status, not the next attempt's time. */
export const outcomeStage = (approval: ApprovalView) =>
  `${approval.execution?.status ?? ''}/${approval.customerReply?.status ?? ''}`;

import { claimAlert } from './alert-claims';
import type { AlertApproval } from './alert-approval';
import { alertText } from './alert-text';
import { CHANGED_NOTIFICATION } from './background-events';
import { createAlertsGateway, type IAlertsGateway } from './alerts-gateway';
import { alertTranslator } from './alerts-i18n';
import { decidableBySoonest, mayDecide } from './may-decide';
import { showCount } from './top-bar-icon';
import { startSession, type IAlertSession } from './zaf-session';

const CHANGES = ['created', 'decided', 'escalated'] as const;
type Change = (typeof CHANGES)[number];
/** Which changes may bring a new decider: a new approval, and an escalation (it widens the deciders). */
const MAY_ALERT: Record<Change, boolean> = { created: true, escalated: true, decided: false };

/** How long a toast stays (ms): long enough to read and act on from another ticket. */
const NOTICE_MS = 15_000;
/** The count follows notifications at once (batched) and time (expiry, escalation) every minute. */
const COUNT_BATCH_MS = 250;
const COUNT_EVERY_MS = 60_000;

function changeOf(body: unknown): { approvalId: string; change: Change } | null {
  const { approvalId, change } = (body ?? {}) as { approvalId?: unknown; change?: unknown };
  if (typeof approvalId !== 'string' || !(CHANGES as readonly unknown[]).includes(change)) return null;
  return { approvalId, change: change as Change };
}

/**
 * "now" for judging an escalation: the notification goes out once `escalatesAt` passed on the gateway's
 * clock, so a browser clock a little behind must not judge it before the widening.
 */
function judgedAt(approval: AlertApproval, change: Change): number {
  const now = Date.now();
  return change === 'escalated' && approval.escalatesAt ? Math.max(now, Date.parse(approval.escalatesAt)) : now;
}

/** Alerts this agent about one changed approval when they may decide it, once across their tabs. */
async function alertIfDecider(session: IAlertSession, gateway: IAlertsGateway, approvalId: string, change: Change) {
  const approval = await gateway.approval(approvalId);
  const now = judgedAt(approval, change);
  if (!mayDecide(approval, session.agent, now)) return;
  if (!(await claimAlert(approvalId, session.agent.id))) return;
  const text = alertText(approval, {
    t: alertTranslator(session.agent.locale),
    locale: session.agent.locale,
    defaultCurrency: session.defaultCurrency,
    now,
  });
  await session.client.invoke('notify', text, 'notice', NOTICE_MS);
}

/** Keeps this tab's top bar icon on the number of pending approvals the agent may decide. */
function countKeeper(session: IAlertSession, gateway: IAlertsGateway) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const refresh = async () => {
    timer = null;
    const pending = await gateway.pending();
    await showCount(session.client, decidableBySoonest(pending, session.agent, Date.now()).length);
  };
  return () => {
    timer ??= setTimeout(() => void refresh().catch(() => undefined), COUNT_BATCH_MS);
  };
}

/**
 * The background location: loaded hidden in every Zendesk tab of every agent. It hears the gateway's app
 * notifications, shows Zendesk's own notification to an agent who may decide the approval (nothing for
 * the others), and keeps the top bar icon's count.
 */
function runBackground(session: IAlertSession) {
  const gateway = createAlertsGateway(session.client, session.gatewayUrl);
  const scheduleCount = countKeeper(session, gateway);
  session.client.on(CHANGED_NOTIFICATION, (body) => {
    scheduleCount();
    const changed = changeOf(body);
    if (!changed || !MAY_ALERT[changed.change]) return;
    // a failed read (gateway down) loses this alert, never the next: the top bar count still shows it
    void alertIfDecider(session, gateway, changed.approvalId, changed.change).catch(() => undefined);
  });
  scheduleCount();
  setInterval(scheduleCount, COUNT_EVERY_MS);
}

void startSession()?.then(runBackground);

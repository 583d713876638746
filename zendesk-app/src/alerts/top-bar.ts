import type { AlertApproval } from './alert-approval';
import { timeLeft, whatText } from './alert-text';
import { createAlertsGateway } from './alerts-gateway';
import { alertTranslator, needsText, type AlertTranslate } from './alerts-i18n';
import { decidableBySoonest } from './may-decide';
import { iconSymbolFor } from './top-bar-icon';
import { startSession, type IAlertSession } from './zaf-session';
import { decidersAt } from '../../../shared/src/authority';
import { CHANGED_NOTIFICATION } from './background-events';

const WIDTH = 360;
const MAX_HEIGHT = 480;

type State = { kind: 'loading' } | { kind: 'ready'; approvals: AlertApproval[] } | { kind: 'error'; reason: string };

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** One approval: action and money, ticket, who may decide and time left; a button opening its ticket. */
function row(session: IAlertSession, approval: AlertApproval, t: AlertTranslate, now: number): HTMLLIElement {
  const { agent, client } = session;
  const deciders = decidersAt(approval.policy, approval.escalatesAt, new Date(now));
  const ticket = approval.ticketId;
  const title = element('span', { className: 'what' }, whatText(approval, agent.locale, session.defaultCurrency));
  const facts = [
    ticket ? `#${ticket}` : t('row_no_ticket'),
    deciders ? needsText(deciders, t) : t('needs_you'),
    t('row_left', { left: timeLeft(approval.expiresAt, now, agent.locale) }),
  ].join(' · ');
  const button = element(
    'button',
    { type: 'button', className: 'row', disabled: !ticket },
    title,
    element('span', { className: 'facts' }, facts),
  );
  button.dataset['approvalId'] = approval.approvalId;
  if (ticket) {
    button.setAttribute('aria-label', `${title.textContent}, ${facts}. ${t('popover_open', { ticket })}`);
    button.addEventListener('click', () => {
      void client.invoke('routeTo', 'ticket', ticket);
      void client.invoke('popover', 'hide');
    });
  }
  return element('li', {}, button);
}

function render(session: IAlertSession, state: State, retry: () => void) {
  const t = alertTranslator(session.agent.locale);
  const now = Date.now();
  const main = document.getElementById('root') as HTMLElement;
  const heading = element('h1', { id: 'title' });
  const body: Node[] = [];
  switch (state.kind) {
    case 'loading':
      heading.textContent = t('popover_loading');
      break;
    case 'error': {
      heading.textContent = t('popover_error', { reason: state.reason });
      body.push(element('button', { type: 'button', className: 'retry', onclick: retry }, t('popover_retry')));
      break;
    }
    case 'ready': {
      const count = state.approvals.length;
      // [1] the count is also the popover's title: the icon shows it only as far as its symbols go (9+)
      heading.textContent =
        count === 0 ? t('popover_none') : t(count === 1 ? 'popover_title_one' : 'popover_title_other', { count });
      if (count > 0) body.push(element('ul', {}, ...state.approvals.map((a) => row(session, a, t, now))));
      break;
    }
  }
  main.setAttribute('aria-busy', String(state.kind === 'loading'));
  main.replaceChildren(heading, ...body);
  const height = Math.min(MAX_HEIGHT, Math.ceil(document.documentElement.scrollHeight));
  void session.client.invoke('popover', { width: WIDTH, height }).catch(() => undefined);
}

/**
 * The top bar location's popover: the pending approvals this agent may decide, soonest expiry first,
 * each opening its ticket (`routeTo`) with the sidebar on it. Read again each time it opens and when
 * the gateway says something changed while it is open.
 */
function runTopBar(session: IAlertSession) {
  document.documentElement.lang = session.agent.locale;
  const applyScheme = (scheme: unknown) => {
    document.documentElement.dataset['colorScheme'] = scheme === 'dark' ? 'dark' : 'light';
  };
  applyScheme(session.colorScheme);
  const gateway = createAlertsGateway(session.client, session.gatewayUrl);
  let isOpen = true;
  const load = async () => {
    try {
      const approvals = decidableBySoonest(await gateway.pending(), session.agent, Date.now());
      render(session, { kind: 'ready', approvals }, () => void load());
      await session.client.set('iconSymbol', iconSymbolFor(approvals.length));
    } catch (err) {
      render(session, { kind: 'error', reason: (err as Error).message }, () => void load());
    }
  };
  render(session, { kind: 'loading' }, () => void load());
  void load();
  session.client.on('pane.activated', () => {
    isOpen = true;
    void load();
  });
  session.client.on('pane.deactivated', () => {
    isOpen = false;
  });
  session.client.on(CHANGED_NOTIFICATION, () => {
    if (isOpen) void load();
  });
  session.client.on('colorScheme.changed', applyScheme);
}

void startSession()?.then(runTopBar);

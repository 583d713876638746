/**
 * Browser side of the harness's Slack pane: draws the channel's messages from `/slack/state` (the Block
 * Kit the gateway uses: header, section text and fields, context, actions buttons, updates, thread
 * replies, ephemeral messages, the modal views.open asks for), refreshed on each call the fake Slack
 * answers (`/slack/events`). Buttons go through `/slack/click` and `/slack/submit`, which sign them as
 * Slack does. Compiled on the fly by the harness server; every text is set as text, never as HTML.
 */

interface IPaneConfig {
  workspace: string;
  channel: string;
  channelName: string;
  users: { id: string; name: string; email: string | null }[];
}

type Block = Record<string, unknown> & { type?: string };
type Post = { text: string; blocks: Block[]; at: number };
type Message = {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
  postedAt: number;
  updates: Post[];
  replies: (Post & { ts: string })[];
};
type Ephemeral = { channel: string; user: string; text: string; blocks: Block[]; at: number };
type View = {
  id: string;
  user: string | null;
  view: { title?: unknown; submit?: unknown; close?: unknown; blocks?: Block[] };
};
type State = { messages: Message[]; ephemerals: Ephemeral[]; views: View[] };
type Delivery = { status: number; body: string };

declare global {
  interface Window {
    slackPane: { state: State | null; refresh: () => Promise<void>; deliveries: Delivery[] };
  }
}

const config = JSON.parse((document.getElementById('slack-config') as HTMLScriptElement).text) as IPaneConfig;
const params = new URLSearchParams(location.search);
const userSelect = document.getElementById('slack-user') as HTMLSelectElement;
const signatureSelect = document.getElementById('slack-signature') as HTMLSelectElement;
const list = document.getElementById('slack-messages') as HTMLOListElement;
const statusLine = document.getElementById('slack-status') as HTMLParagraphElement;
let shownView: string | null = null;

window.slackPane = { state: null, refresh, deliveries: [] };

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const userName = (id: string) => config.users.find((u) => u.id === id)?.name ?? id;
const plain = (value: unknown) =>
  typeof value === 'object' && value !== null ? String((value as { text?: unknown }).text ?? '') : String(value ?? '');

/** The emoji codes the gateway writes, as Slack shows them. */
const EMOJI: Record<string, string> = {
  rotating_light: '🚨',
  white_check_mark: '✅',
  x: '❌',
  warning: '⚠️',
  hourglass: '⌛',
};

/** Slack's escapes in text (&amp; &lt; &gt;) and emoji codes. */
const unescape = (text: string) =>
  text
    .replace(/:([a-z0-9_+-]+):/g, (code, name: string) => EMOJI[name] ?? code)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Where a link in a message goes in the harness: a Zendesk ticket URL opens the harness's ticket. */
function harnessHref(url: string): string {
  const ticket = /\/agent\/tickets\/(\d+)/.exec(url)?.[1];
  return ticket ? `/?ticket=${ticket}` : url;
}

/** One `<…>` token of mrkdwn: a link, a user mention, a date, or a special mention. */
function angleToken(inner: string): Node {
  const [target = '', label] = inner.split('|', 2) as [string, string | undefined];
  if (target.startsWith('@')) return el('span', 'slack-mention', `@${userName(target.slice(1))}`);
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    const text = Number.isFinite(seconds) ? new Date(seconds * 1000).toLocaleString() : unescape(label ?? '');
    const time = el('time', 'slack-date', text);
    if (Number.isFinite(seconds)) time.dateTime = new Date(seconds * 1000).toISOString();
    return time;
  }
  if (target.startsWith('!')) return el('span', 'slack-mention', `@${target.slice(1)}`);
  const link = el('a', undefined, unescape(label ?? target));
  link.href = harnessHref(unescape(target));
  link.target = '_blank';
  link.rel = 'noopener';
  return link;
}

/** Inline mrkdwn (`*bold*`, `_italic_`, `` `code` ``, `~strike~`, `<links>`) as DOM nodes. */
function inline(text: string, into: HTMLElement) {
  const pattern = /<([^>]+)>|\*([^*\n]+)\*|_([^_\n]+)_|`([^`\n]+)`|~([^~\n]+)~/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index ?? 0;
    if (at > last) into.append(unescape(text.slice(last, at)));
    const [, angle, bold, italic, code, strike] = match;
    if (angle !== undefined) into.append(angleToken(angle));
    else if (bold !== undefined) inline(bold, into.appendChild(el('strong')));
    else if (italic !== undefined) inline(italic, into.appendChild(el('em')));
    else if (code !== undefined) into.append(el('code', undefined, unescape(code)));
    else if (strike !== undefined) inline(strike, into.appendChild(el('s')));
    last = at + match[0].length;
  }
  if (last < text.length) into.append(unescape(text.slice(last)));
}

/** A text object (mrkdwn or plain_text): lines, `>` quotes. */
function textObject(value: unknown, className: string): HTMLElement {
  const object = (typeof value === 'object' && value !== null ? value : { type: 'plain_text', text: '' }) as {
    type?: string;
    text?: string;
  };
  const box = el('div', className);
  const text = object.text ?? '';
  if (object.type !== 'mrkdwn') {
    box.textContent = text;
    return box;
  }
  let quote: HTMLElement | null = null;
  text.split('\n').forEach((line, i) => {
    const isQuote = line.startsWith('&gt;') || line.startsWith('>');
    if (isQuote) {
      quote ??= box.appendChild(el('blockquote'));
      if (quote.childNodes.length > 0) quote.append(el('br'));
      inline(line.replace(/^(&gt;|>)\s?/, ''), quote);
      return;
    }
    quote = null;
    if (i > 0 && box.lastChild && box.lastChild.nodeName !== 'BLOCKQUOTE') box.append(el('br'));
    inline(line, box);
  });
  return box;
}

/** A button of an actions block: a link button opens the URL, the others send a signed click. */
function button(message: Message, element: Record<string, unknown>): HTMLElement {
  const label = plain(element['text']);
  const style = typeof element['style'] === 'string' ? element['style'] : 'default';
  const url = typeof element['url'] === 'string' ? element['url'] : null;
  const actionId = String(element['action_id'] ?? '');
  if (url) {
    const link = el('a', `slack-button slack-button-${style}`, label);
    link.href = harnessHref(url);
    link.target = '_blank';
    link.rel = 'noopener';
    link.dataset['actionId'] = actionId;
    return link;
  }
  const node = el('button', `slack-button slack-button-${style}`, label);
  node.type = 'button';
  node.dataset['actionId'] = actionId;
  node.addEventListener('click', () => {
    node.disabled = true;
    void send('/slack/click', { ts: message.ts, action: actionId }).finally(() => (node.disabled = false));
  });
  return node;
}

function blocks(message: Message, items: Block[], into: HTMLElement) {
  for (const block of items) {
    switch (block.type) {
      case 'header':
        into.append(el('h2', 'slack-header', plain(block['text'])));
        break;
      case 'section': {
        const section = into.appendChild(el('div', 'slack-section'));
        if (block['text']) section.append(textObject(block['text'], 'slack-text'));
        const fields = Array.isArray(block['fields']) ? (block['fields'] as unknown[]) : [];
        if (fields.length > 0) {
          const grid = section.appendChild(el('div', 'slack-fields'));
          for (const field of fields) grid.append(textObject(field, 'slack-field'));
        }
        break;
      }
      case 'context': {
        const context = into.appendChild(el('div', 'slack-context'));
        for (const element of (block['elements'] ?? []) as unknown[])
          context.append(textObject(element, 'slack-context-item'));
        break;
      }
      case 'actions': {
        const actions = into.appendChild(el('div', 'slack-actions'));
        for (const element of (block['elements'] ?? []) as Record<string, unknown>[]) {
          if (element['type'] === 'button') actions.append(button(message, element));
        }
        break;
      }
      case 'divider':
        into.append(el('hr'));
        break;
      default:
        // Only what the gateway sends is drawn; anything else shows as its text fallback.
        into.append(el('div', 'slack-unknown', `[${String(block.type)} block]`));
    }
  }
}

function timeOf(ms: number) {
  const time = el('time', 'slack-time', new Date(ms).toLocaleTimeString());
  time.dateTime = new Date(ms).toISOString();
  return time;
}

function messageItem(message: Message): HTMLLIElement {
  const item = el('li', 'slack-message');
  item.dataset['ts'] = message.ts;
  const head = item.appendChild(el('div', 'slack-message-head'));
  head.append(el('strong', 'slack-author', 'Cheqpoint'), el('span', 'slack-app-tag', 'APP'), timeOf(message.postedAt));
  if (message.updates.length > 0) head.append(el('span', 'slack-edited', '(edited)'));
  const body = item.appendChild(el('div', 'slack-blocks'));
  if (message.blocks.length > 0) blocks(message, message.blocks, body);
  else body.append(textObject({ type: 'mrkdwn', text: message.text }, 'slack-text'));
  if (message.replies.length > 0) {
    const thread = item.appendChild(el('ol', 'slack-thread'));
    thread.setAttribute(
      'aria-label',
      `${message.replies.length} thread ${message.replies.length === 1 ? 'reply' : 'replies'}`,
    );
    for (const reply of message.replies) {
      const li = thread.appendChild(el('li', 'slack-reply'));
      li.appendChild(el('div', 'slack-message-head')).append(
        el('strong', 'slack-author', 'Cheqpoint'),
        timeOf(reply.at),
      );
      const replyBody = li.appendChild(el('div', 'slack-blocks'));
      if (reply.blocks.length > 0) blocks(message, reply.blocks, replyBody);
      else replyBody.append(textObject({ type: 'mrkdwn', text: reply.text }, 'slack-text'));
    }
  }
  return item;
}

function ephemeralItem(ephemeral: Ephemeral): HTMLLIElement {
  const item = el('li', 'slack-message slack-ephemeral');
  const head = item.appendChild(el('div', 'slack-message-head'));
  head.append(
    el('strong', 'slack-author', 'Cheqpoint'),
    timeOf(ephemeral.at),
    el('span', 'slack-only-you', 'Only visible to you'),
  );
  item.append(textObject({ type: 'mrkdwn', text: ephemeral.text }, 'slack-text'));
  return item;
}

function render(state: State) {
  const me = userSelect.value;
  const items: { at: number; node: HTMLLIElement }[] = [
    ...state.messages.map((m) => ({ at: m.postedAt, node: messageItem(m) })),
    ...state.ephemerals.filter((e) => e.user === me).map((e) => ({ at: e.at, node: ephemeralItem(e) })),
  ];
  items.sort((a, b) => a.at - b.at);
  list.replaceChildren(...items.map((i) => i.node));
  (document.getElementById('slack-empty') as HTMLElement).hidden = items.length > 0;
  renderModal(state.views.filter((v) => v.user === me).at(-1) ?? null);
}

/** The modal views.open asked for (the latest one for the person clicking), as Slack draws it. */
function renderModal(view: View | null) {
  const backdrop = document.getElementById('slack-modal-backdrop') as HTMLElement;
  if (!view) {
    backdrop.hidden = true;
    backdrop.replaceChildren();
    shownView = null;
    return;
  }
  if (shownView === view.id) return; // keep what is being typed
  shownView = view.id;
  const dialog = el('form', 'slack-modal');
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-modal', 'true');
  dialog.dataset['viewId'] = view.id;
  const title = dialog.appendChild(el('h2', 'slack-modal-title', plain(view.view.title)));
  title.id = `modal-${view.id}`;
  dialog.setAttribute('aria-labelledby', title.id);
  let firstInput: HTMLTextAreaElement | null = null;
  for (const block of view.view.blocks ?? []) {
    if (block.type === 'input') {
      const element = (block['element'] ?? {}) as Record<string, unknown>;
      const label = dialog.appendChild(el('label', 'slack-input'));
      label.append(el('span', undefined, plain(block['label'])));
      const input = label.appendChild(el('textarea'));
      input.name = String(block['block_id'] ?? '');
      if (typeof element['max_length'] === 'number') input.maxLength = element['max_length'];
      input.rows = 4;
      const error = label.appendChild(el('span', 'slack-input-error'));
      error.dataset['errorFor'] = input.name;
      error.setAttribute('role', 'alert');
      firstInput ??= input;
    } else {
      blocks({ channel: '', ts: '', text: '', blocks: [], postedAt: 0, updates: [], replies: [] }, [block], dialog);
    }
  }
  const buttons = dialog.appendChild(el('div', 'slack-modal-buttons'));
  const cancel = buttons.appendChild(el('button', 'slack-button', plain(view.view.close) || 'Cancel'));
  cancel.type = 'button';
  const submit = buttons.appendChild(
    el('button', 'slack-button slack-button-primary', plain(view.view.submit) || 'Submit'),
  );
  submit.type = 'submit';
  const close = () => void send('/slack/close', { view: view.id });
  cancel.addEventListener('click', close);
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
  });
  dialog.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    void send('/slack/submit', { view: view.id, note: firstInput?.value ?? '' }).then((delivery) => {
      submit.disabled = false;
      // Slack's answer `response_action: errors` keeps the modal open with each field's error.
      const errors = delivery && parseErrors(delivery.body);
      for (const [blockId, text] of Object.entries(errors ?? {})) {
        const slot = dialog.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(blockId)}"]`);
        if (slot) slot.textContent = text;
      }
    });
  });
  backdrop.replaceChildren(dialog);
  backdrop.hidden = false;
  firstInput?.focus();
}

function parseErrors(body: string): Record<string, string> | null {
  try {
    const parsed = JSON.parse(body) as { response_action?: string; errors?: Record<string, string> };
    return parsed.response_action === 'errors' ? (parsed.errors ?? {}) : null;
  } catch {
    return null;
  }
}

/** Sends a click or a submission (signed by the harness server) and says how the gateway answered. */
async function send(url: string, body: Record<string, unknown>): Promise<Delivery | null> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, user: userSelect.value, signature: signatureSelect.value }),
  });
  const answer = (await res.json()) as Partial<Delivery> & { error?: string; messages?: unknown };
  if (url === '/slack/close') {
    await refresh();
    return null;
  }
  if (!res.ok || typeof answer.status !== 'number') {
    statusLine.textContent = `Not sent: ${answer.error ?? res.status}`;
    return null;
  }
  const delivery = { status: answer.status, body: answer.body ?? '' };
  window.slackPane.deliveries.push(delivery);
  statusLine.dataset['status'] = String(delivery.status);
  statusLine.textContent =
    delivery.status === 200
      ? `Sent as ${userName(userSelect.value)}: the gateway answered 200`
      : `The gateway answered ${delivery.status}: ${problemText(delivery.body)}`;
  await refresh();
  return delivery;
}

function problemText(body: string): string {
  try {
    const problem = JSON.parse(body) as { title?: string; detail?: string };
    return [problem.title, problem.detail].filter(Boolean).join(': ') || body;
  } catch {
    return body;
  }
}

async function refresh() {
  const state = (await (await fetch('/slack/state')).json()) as State;
  window.slackPane.state = state;
  render(state);
}

function setUp() {
  (document.getElementById('workspace') as HTMLElement).textContent = config.workspace;
  (document.getElementById('channel-name') as HTMLElement).textContent = `# ${config.channelName}`;
  (document.getElementById('channel-title') as HTMLElement).textContent = `# ${config.channelName}`;
  for (const user of config.users) {
    const option = el('option', undefined, user.email ? `${user.name} (${user.email})` : `${user.name} (no email)`);
    option.value = user.id;
    userSelect.append(option);
  }
  const wanted = params.get('as');
  if (wanted && config.users.some((u) => u.id === wanted)) userSelect.value = wanted;
  userSelect.addEventListener('change', () => {
    shownView = null;
    if (window.slackPane.state) render(window.slackPane.state);
  });
  const events = new EventSource('/slack/events');
  events.addEventListener('change', () => void refresh());
  void refresh();
}

setUp();
export {};

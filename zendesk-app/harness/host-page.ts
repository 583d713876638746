/**
 * Browser side of the local harness: plays Zendesk's part of the ZAF postMessage protocol for the app
 * iframes (handshake, get/set/invoke, events, client.request through the harness proxy).
 * Compiled on the fly by the harness server; everything it does is logged in `window.harness.log`.
 */

interface IHarnessConfig {
  appOrigin: string;
  /** Signed URLs: the gateway page each location is loaded from by a form POST with a token. */
  signedApp?: { url: string; origin: string };
  installationId: number;
  /** The app id notify-app targets (the gateway's Zendesk connection is given it). */
  appId: number;
  appVersion: string;
  /** Each location's page as the manifest names it (`assets/index.html`, `assets/background.html` …). */
  locationUrls: Record<string, string>;
  /** Non-secure settings only: secure ones never leave the harness server. */
  settings: Record<string, unknown>;
  /** The signed-in user (`?user=<id>`), with role and groups as Zendesk's `currentUser` has them. */
  currentUser: {
    id: number;
    name: string;
    email: string;
    role: string;
    locale: string;
    groups: { id: number; name: string }[];
  };
  /** Everyone the harness can sign in as (the header's "Signed in as"). */
  users: { id: number; name: string }[];
  /** What the harness knows of each ticket: subject and the requester's first message. */
  tickets?: Record<string, { subject?: string; requester?: string; body?: string }>;
}

type AppLocation = 'ticket_sidebar' | 'nav_bar' | 'background' | 'top_bar';

interface IFrameState {
  iframe: HTMLIFrameElement;
  /** The origin the frame's page comes from (the gateway's for signed sidebar pages, else the app's). */
  origin: string;
  appGuid: string;
  location: AppLocation;
  ticketId: number | null;
  subscriptions: Map<string, number>;
}

interface ILogEntry {
  type: string;
  at: number;
  [key: string]: unknown;
}

type Message = Record<string, unknown> & { key?: string; id?: number; request?: string; params?: unknown };

declare global {
  interface Window {
    harness: {
      config: IHarnessConfig;
      log: ILogEntry[];
      colorScheme: 'light' | 'dark';
      trigger: (event: string, data?: unknown) => void;
      setColorScheme: (scheme: 'light' | 'dark') => void;
      openTicket: (ticketId: number) => void;
      showLocation: (location: 'ticket_sidebar' | 'nav_bar') => void;
      frames: () => IFrameState[];
      /** Clicks the top bar icon: opens (or closes) the top bar app's popover. */
      toggleTopBar: () => void;
    };
  }
}

const config = JSON.parse((document.getElementById('harness-config') as HTMLScriptElement).text) as IHarnessConfig;
const frames: IFrameState[] = [];
const params = new URLSearchParams(location.search);
let colorScheme: 'light' | 'dark' = params.get('colorScheme') === 'dark' ? 'dark' : 'light';
let currentTicket = Number(params.get('ticket') ?? '9921');

const log = (type: string, data: Record<string, unknown> = {}) => {
  const entry: ILogEntry = { type, at: performance.now(), ...data };
  window.harness.log.push(entry);
  const list = document.getElementById('log');
  if (list) {
    const item = document.createElement('li');
    item.textContent = `${type} ${JSON.stringify(data)}`;
    list.prepend(item);
    while (list.children.length > 60) list.lastElementChild?.remove();
  }
};

function post(frame: IFrameState, message: Record<string, unknown>) {
  frame.iframe.contentWindow?.postMessage(JSON.stringify(message), frame.origin);
}

/**
 * The top bar app, as Zendesk keeps it: registered (an instance with an icon) from the start, its pane
 * loaded the first time the agent opens it. `symbol` is what `iconSymbol` last chose.
 */
const topBar = { appGuid: crypto.randomUUID(), symbol: 'default', isOpen: false };

/** Draws the top bar icon with the package's `<symbol>` that `iconSymbol` chose (ids prefixed in the page). */
function drawTopBarIcon() {
  const button = document.getElementById('top-bar-icon');
  if (!button) return;
  button.innerHTML = `<svg viewBox="0 0 18 18" aria-hidden="true"><use href="#zd-icon-${topBar.symbol}"></use></svg>`;
  button.dataset['iconSymbol'] = topBar.symbol;
}

async function loadTopBarIcon() {
  const svg = await (await fetch('/harness/icon_top_bar.svg')).text();
  const sprite = document.createElement('div');
  sprite.hidden = true;
  sprite.innerHTML = svg.replace(/\bid="/g, 'id="zd-icon-');
  document.body.append(sprite);
  drawTopBarIcon();
}

/** Zendesk's own notification (`client.invoke('notify', message, kind, duration | { sticky })`), as page DOM. */
function showNotification(frame: IFrameState, args: unknown[]) {
  const [message, kind = 'notice', options] = args as [unknown, unknown, unknown];
  const list = document.getElementById('zd-notifications');
  if (!list) return;
  const toast = document.createElement('div');
  toast.className = 'zd-notify';
  toast.setAttribute('role', 'status');
  toast.dataset['kind'] = String(kind);
  toast.dataset['location'] = frame.location;
  toast.textContent = String(message);
  list.append(toast);
  const isSticky = typeof options === 'object' && options !== null && (options as { sticky?: unknown }).sticky;
  if (!isSticky) setTimeout(() => toast.remove(), typeof options === 'number' ? options : 5000);
  log('notify', { location: frame.location, message, kind });
}

/** `client.invoke('popover', 'show' | 'hide' | { width, height })` from the top bar app. */
function popover(arg: unknown) {
  const box = document.getElementById('top-bar-popover');
  const iframe = box?.querySelector('iframe');
  if (!box || !iframe) return;
  if (arg === 'hide' || arg === 'show') {
    setTopBarOpen(arg === 'show');
    return;
  }
  const size = (arg ?? {}) as { width?: unknown; height?: unknown };
  const px = (value: unknown) => (typeof value === 'number' ? `${value}px` : String(value));
  if (size.width !== undefined && size.width !== 'auto') iframe.style.width = px(size.width);
  if (size.height !== undefined && size.height !== 'auto') iframe.style.height = px(size.height);
}

function setTopBarOpen(isOpen: boolean) {
  const box = document.getElementById('top-bar-popover') as HTMLElement;
  const wasOpen = topBar.isOpen;
  topBar.isOpen = isOpen;
  box.hidden = !isOpen;
  document.getElementById('top-bar-icon')?.setAttribute('aria-expanded', String(isOpen));
  const frame = frames.find((f) => f.location === 'top_bar');
  if (isOpen && !frame) {
    mount('top_bar', box, null, topBar.appGuid);
    return;
  }
  if (frame && isOpen !== wasOpen) emit(frame, isOpen ? 'pane.activated' : 'pane.deactivated');
}

function emit(frame: IFrameState, event: string, data?: unknown) {
  if (event !== 'app.registered' && !frame.subscriptions.get(event)) return;
  post(frame, { key: `zaf.${event}`, message: data });
}

function contextOf(frame: IFrameState) {
  return {
    product: 'support',
    location: frame.location,
    instanceGuid: frame.appGuid,
    account: { subdomain: 'harness' },
    ...(frame.ticketId !== null ? { ticketId: frame.ticketId } : {}),
  };
}

function getValue(frame: IFrameState, path: string): unknown {
  switch (path) {
    case 'currentUser':
      return config.currentUser;
    case 'colorScheme':
      return colorScheme;
    case 'ticket.id':
      if (frame.location !== 'ticket_sidebar') throw new Error('not available');
      return frame.ticketId;
    case 'currentAccount':
      return { subdomain: 'harness', planName: 'harness' };
    case 'instances': {
      // every instance of the app in this "tab"; the top bar's is registered before its pane loads
      const instances: Record<string, { location: string; instanceGuid: string }> = {};
      for (const f of frames) instances[f.appGuid] = { location: f.location, instanceGuid: f.appGuid };
      instances[topBar.appGuid] = { location: 'top_bar', instanceGuid: topBar.appGuid };
      return instances;
    }
    default:
      throw new Error(`"${path}" is not available in the harness`);
  }
}

async function proxy(frame: IFrameState, key: string, options: Record<string, unknown>) {
  log('request', { location: frame.location, url: options['url'], type: options['type'] ?? 'GET' });
  try {
    const response = await fetch(`/harness/proxy?user=${config.currentUser.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(options),
    });
    const reply = (await response.json()) as { status: number; statusText: string; responseText: string };
    let json: unknown;
    try {
      json = reply.responseText ? JSON.parse(reply.responseText) : undefined;
    } catch {
      json = undefined;
    }
    const xhr = {
      status: reply.status,
      statusText: reply.statusText,
      responseText: reply.responseText,
      responseJSON: json,
    };
    if (reply.status >= 200 && reply.status < 300) {
      const data = options['dataType'] === 'text' ? reply.responseText : (json ?? reply.responseText);
      post(frame, { key: `zaf.${key}.done`, message: { responseArgs: [data, 'success', xhr] } });
    } else {
      post(frame, { key: `zaf.${key}.fail`, message: { responseArgs: [xhr, 'error', reply.statusText] } });
    }
    if (String(options['url']).startsWith('/api/v2/tickets/')) void refreshNotes();
  } catch (err) {
    const xhr = { status: 0, statusText: 'error', responseText: String(err) };
    post(frame, { key: `zaf.${key}.fail`, message: { responseArgs: [xhr, 'error', 'error'] } });
  }
}

function invoke(frame: IFrameState, name: string, args: unknown[]): unknown {
  if (name === 'resize') {
    const size = (args[0] ?? {}) as { width?: string; height?: string };
    if (size.height) frame.iframe.style.height = /^\d+$/.test(size.height) ? `${size.height}px` : size.height;
    log('resize', { location: frame.location, height: size.height });
    return {};
  }
  if (name === 'routeTo') {
    log('routeTo', { location: frame.location, args });
    if (args[0] === 'ticket') window.harness.openTicket(Number(args[1]));
    return {};
  }
  if (name === 'notify') {
    showNotification(frame, args);
    return {};
  }
  if (name === 'popover' && frame.location === 'top_bar') {
    popover(args[0]);
    return {};
  }
  log('invoke', { location: frame.location, name, args });
  return {};
}

/** `set` from an app instance, for itself or (`client.instance(guid)`) another: the top bar's iconSymbol. */
function setValues(frame: IFrameState, targetGuid: string, params: Record<string, unknown>) {
  log('set', { location: frame.location, target: targetGuid, params });
  if (targetGuid === topBar.appGuid && typeof params['iconSymbol'] === 'string') {
    topBar.symbol = params['iconSymbol'];
    drawTopBarIcon();
  }
}

function onMessage(event: MessageEvent) {
  const frame = frames.find((f) => f.iframe.contentWindow === event.source);
  if (!frame || event.origin !== frame.origin) return;
  let data: Message;
  try {
    data = (typeof event.data === 'string' ? JSON.parse(event.data) : event.data) as Message;
  } catch {
    return;
  }
  const key = data.key ?? '';
  if (key === 'iframe.handshake') {
    log('handshake', { location: frame.location });
    const metadata = {
      appId: config.appId,
      installationId: config.installationId,
      name: 'Cheqpoint',
      version: config.appVersion,
      settings: { title: 'Cheqpoint', ...config.settings },
    };
    emit(frame, 'app.registered', { context: contextOf(frame), metadata });
    setTimeout(() => emit(frame, 'app.activated', { firstLoad: true }), 0);
    return;
  }
  if (key.startsWith('iframe.on:') || key.startsWith('iframe.off:')) {
    const name = key.slice(key.indexOf(':') + 1);
    const count = Number((data['message'] as { subscriberCount?: number } | undefined)?.subscriberCount ?? 0);
    frame.subscriptions.set(name, count);
    return;
  }
  if (key.startsWith('request:')) {
    void proxy(frame, key, (data['message'] ?? {}) as Record<string, unknown>);
    return;
  }
  if (data.request && data.id !== undefined) {
    const result: Record<string, unknown> = { errors: {} };
    const errors = result['errors'] as Record<string, unknown>;
    if (data.request === 'get') {
      for (const path of data.params as string[]) {
        try {
          result[path] = getValue(frame, path);
        } catch (err) {
          errors[path] = { name: 'Error', message: (err as Error).message, path };
        }
      }
    } else if (data.request === 'invoke') {
      for (const [name, args] of Object.entries(data.params as Record<string, unknown[]>)) {
        result[name] = invoke(frame, name, args);
      }
    } else if (data.request === 'set') {
      const target = typeof data['instanceGuid'] === 'string' ? data['instanceGuid'] : frame.appGuid;
      setValues(frame, target, (data.params ?? {}) as Record<string, unknown>);
    }
    post(frame, { id: data.id, result });
  }
}

const FRAME_TITLES: Record<AppLocation, string> = {
  ticket_sidebar: 'Cheqpoint ticket sidebar app',
  nav_bar: 'Cheqpoint queue app',
  background: 'Cheqpoint background app',
  top_bar: 'Cheqpoint top bar app',
};

function mount(
  location: AppLocation,
  container: HTMLElement,
  ticketId: number | null,
  appGuid: string = crypto.randomUUID(),
  options: { id?: string; isAppended?: boolean } = {},
) {
  const existing = options.isAppended ? -1 : frames.findIndex((f) => f.location === location);
  if (existing >= 0) {
    frames[existing]?.iframe.remove();
    frames.splice(existing, 1);
  }
  const iframe = document.createElement('iframe');
  iframe.id = options.id ?? `app-${location}`;
  iframe.title = FRAME_TITLES[location];
  const query = new URLSearchParams({ origin: window.location.origin, app_guid: appGuid, colorScheme, location });
  const page = config.locationUrls[location] ?? 'assets/index.html';
  // [2] signed URLs load the gateway's page (the sidebar's); the alert locations keep their packaged pages
  const isSigned = !!config.signedApp && (location === 'ticket_sidebar' || location === 'nav_bar');
  const origin = isSigned && config.signedApp ? config.signedApp.origin : config.appOrigin;
  const state: IFrameState = { iframe, origin, appGuid, location, ticketId, subscriptions: new Map() };
  frames.push(state);
  iframe.addEventListener('load', () => log('iframe.load', { location }));
  if (!isSigned) {
    iframe.src = `${config.appOrigin}/${page}?${query}`;
    if (options.isAppended) container.append(iframe);
    else container.replaceChildren(iframe);
  } else if (config.signedApp) {
    iframe.name = `app-frame-${appGuid}`;
    container.replaceChildren(iframe);
    void loadSigned(iframe, `${config.signedApp.url}?${query}`, location);
  }
  log('mount', { location, ticketId });
}

/** As Zendesk loads a signed location: a hidden form POSTs a fresh token into the iframe. */
async function loadSigned(iframe: HTMLIFrameElement, action: string, location: string) {
  const query = new URLSearchParams({ location, user: String(config.currentUser.id) });
  const response = await fetch(`/harness/signed-token?${query}`, { method: 'POST' });
  const { token } = (await response.json()) as { token: string };
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action;
  form.target = iframe.name;
  form.hidden = true;
  const field = document.createElement('input');
  field.type = 'hidden';
  field.name = 'token';
  field.value = token;
  form.append(field);
  document.body.append(form);
  form.submit();
  form.remove();
  log('signed-load', { location });
}

async function refreshNotes() {
  const list = document.getElementById('notes');
  if (!list) return;
  const response = await fetch(`/harness/notes?ticket=${currentTicket}`);
  const notes = (await response.json()) as { body: string; author: string; public: boolean }[];
  list.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement('li');
      // a public comment reaches the customer (the gateway's reply on a late decision); a note stays inside
      item.dataset['public'] = String(note.public);
      item.textContent = `${note.author} (${note.public ? 'public reply' : 'internal note'}): ${note.body}`;
      return item;
    }),
  );
}

async function refreshTags() {
  const list = document.getElementById('tags');
  if (!list) return;
  const response = await fetch(`/harness/tags?ticket=${currentTicket}`);
  const tags = (await response.json()) as string[];
  list.textContent = tags.length > 0 ? tags.join(', ') : 'none';
}

/** The ticket's priority once the gateway set one (an escalation); hidden before, as nothing set it. */
async function refreshPriority() {
  const line = document.getElementById('ticket-priority');
  const value = document.getElementById('priority');
  if (!line || !value) return;
  const response = await fetch(`/harness/priority?ticket=${currentTicket}`);
  const priority = (await response.json()) as string | null;
  value.textContent = priority ?? '';
  line.hidden = priority === null;
}

/**
 * What the gateway did through the harness's Zendesk API, pushed by the harness server: an app
 * notification reaches every open iframe as the ZAF event `api_notification.<event>` (as Zendesk
 * delivers notify-app), and the ticket view shows new tags and notes.
 */
function followGateway() {
  const events = new EventSource('/harness/events');
  events.addEventListener('notification', (message) => {
    const { event, body } = JSON.parse((message as MessageEvent<string>).data) as { event: string; body: unknown };
    const name = `api_notification.${event}`;
    const delivered = frames.filter((f) => f.subscriptions.get(name)).map((f) => f.location);
    log('api_notification', { event: name, body, delivered });
    for (const frame of frames) emit(frame, name, body);
  });
  events.addEventListener('tags', (message) => {
    const { ticketId } = JSON.parse((message as MessageEvent<string>).data) as { ticketId: string };
    log('tags', { ticketId });
    if (ticketId === String(currentTicket)) void refreshTags();
  });
  events.addEventListener('notes', () => void refreshNotes());
  events.addEventListener('priority', (message) => {
    const { ticketId } = JSON.parse((message as MessageEvent<string>).data) as { ticketId: string };
    log('priority', { ticketId });
    if (ticketId === String(currentTicket)) void refreshPriority();
  });
}

/**
 * "Signed in as": picking another user reloads the page as them (`?user=<id>`), as signing in to
 * Zendesk as someone else would; the app then gets their currentUser and signed-URL tokens.
 */
function setUpUserSwitch() {
  const select = document.getElementById('user-select') as HTMLSelectElement | null;
  if (!select) return;
  select.replaceChildren(
    ...config.users.map((user) => {
      const option = document.createElement('option');
      option.value = String(user.id);
      option.textContent = `${user.name} (${user.id})`;
      option.selected = user.id === config.currentUser.id;
      return option;
    }),
  );
  select.addEventListener('change', () => {
    const next = new URLSearchParams(location.search);
    next.set('user', select.value);
    next.set('ticket', String(currentTicket));
    location.search = next.toString();
  });
}

function applyScheme() {
  document.documentElement.dataset['colorScheme'] = colorScheme;
  const toggle = document.getElementById('scheme');
  if (toggle) toggle.textContent = colorScheme === 'dark' ? 'Light mode' : 'Dark mode';
}

window.harness = {
  config,
  log: [],
  colorScheme,
  trigger(event, data) {
    log('event', { event });
    for (const frame of frames) emit(frame, event, data);
  },
  setColorScheme(scheme) {
    colorScheme = scheme;
    window.harness.colorScheme = scheme;
    applyScheme();
    for (const frame of frames) emit(frame, 'colorScheme.changed', scheme);
  },
  openTicket(ticketId) {
    currentTicket = ticketId;
    const ticket = config.tickets?.[String(ticketId)];
    (document.getElementById('ticket-title') as HTMLElement).textContent = ticket?.subject
      ? `${ticket.subject} #${ticketId}`
      : `Ticket #${ticketId}`;
    const conversation = document.getElementById('conversation') as HTMLElement;
    conversation.replaceChildren();
    if (ticket?.body) {
      const message = document.createElement('article');
      message.className = 'message';
      const author = document.createElement('strong');
      author.textContent = ticket.requester ?? 'Requester';
      const body = document.createElement('p');
      body.textContent = ticket.body;
      message.append(author, body);
      conversation.append(message);
    }
    window.harness.showLocation('ticket_sidebar');
    mount('ticket_sidebar', document.getElementById('sidebar') as HTMLElement, ticketId);
    void refreshNotes();
    void refreshTags();
    void refreshPriority();
  },
  showLocation(location) {
    document.body.dataset['location'] = location;
    if (location === 'nav_bar' && !frames.some((f) => f.location === 'nav_bar')) {
      mount('nav_bar', document.getElementById('queue') as HTMLElement, null);
    }
  },
  frames: () => frames,
  toggleTopBar() {
    setTopBarOpen(!topBar.isOpen);
  },
};

window.addEventListener('message', onMessage);
document
  .getElementById('scheme')
  ?.addEventListener('click', () => window.harness.setColorScheme(colorScheme === 'dark' ? 'light' : 'dark'));
document.getElementById('top-bar-icon')?.addEventListener('click', () => window.harness.toggleTopBar());
document.getElementById('tab-ticket')?.addEventListener('click', () => window.harness.showLocation('ticket_sidebar'));
document.getElementById('tab-queue')?.addEventListener('click', () => window.harness.showLocation('nav_bar'));
document.getElementById('ticket-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('ticket-input') as HTMLInputElement;
  if (/^\d+$/.test(input.value)) window.harness.openTicket(Number(input.value));
});
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-event]')) {
  button.addEventListener('click', () => window.harness.trigger(button.dataset['event'] as string));
}
// [1] ?frame=zendesk: the page as Zendesk's agent workspace looks, without the harness's own controls
// (listing screenshots); the default shows the harness toolbar and the ZAF log
document.body.dataset['frame'] = params.get('frame') === 'zendesk' ? 'zendesk' : 'harness';
applyScheme();
if (document.body.dataset['frame'] !== 'zendesk') setUpUserSwitch();
followGateway();
void loadTopBarIcon();
// the background location, loaded hidden as Zendesk loads it; ?backgrounds=2 plays two Zendesk tabs of one agent
const backgrounds = Math.min(4, Math.max(0, Number(params.get('backgrounds') ?? '1') || 0));
for (let index = 0; index < backgrounds; index += 1) {
  const container = document.getElementById('background-apps') as HTMLElement;
  mount('background', container, null, crypto.randomUUID(), { id: `app-background-${index}`, isAppended: true });
}
const initial = params.get('location') === 'nav_bar' ? 'nav_bar' : 'ticket_sidebar';
if (initial === 'nav_bar') window.harness.showLocation('nav_bar');
else window.harness.openTicket(currentTicket);

export {};

/**
 * The Billing pane's page script (served transpiled by billing-pane.ts): draws the requests the billing
 * endpoint received, newest first, redrawn on each one (server-sent events), and sets how it answers.
 */
type BillingRequest = {
  at: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  isAuthorized: boolean;
  body: unknown;
  status: number;
};
type BillingState = { mode: string; requests: BillingRequest[] };

const modeSelect = document.getElementById('billing-mode') as HTMLSelectElement;
const rows = document.getElementById('billing-requests') as HTMLTableSectionElement;
const empty = document.getElementById('billing-empty') as HTMLElement;
const statusLine = document.getElementById('billing-status') as HTMLElement;

function cell(text: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function draw(state: BillingState) {
  modeSelect.value = state.mode;
  empty.hidden = state.requests.length > 0;
  rows.replaceChildren(
    ...[...state.requests].reverse().map((request) => {
      const tr = document.createElement('tr');
      tr.dataset['idempotencyKey'] = request.idempotencyKey ?? '';
      const body = document.createElement('td');
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(request.body, null, 2);
      body.append(pre);
      tr.append(
        cell(new Date(request.at).toLocaleTimeString()),
        cell(`${request.method} ${request.path}${request.isAuthorized ? '' : ' (no valid bearer token)'}`),
        cell(request.idempotencyKey ?? '(none)', request.idempotencyKey ? '' : 'bad'),
        body,
        cell(String(request.status), request.status >= 400 ? 'bad' : ''),
      );
      return tr;
    }),
  );
}

async function refresh() {
  draw((await (await fetch('/billing/state')).json()) as BillingState);
}

modeSelect.addEventListener('change', () => {
  void (async () => {
    const res = await fetch('/billing/mode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: modeSelect.value }),
    });
    statusLine.textContent = res.ok
      ? `Next requests: ${modeSelect.selectedOptions[0]?.textContent ?? ''}`
      : await res.text();
  })();
});

new EventSource('/billing/events').addEventListener('change', () => void refresh());
void refresh();

export {};

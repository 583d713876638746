import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { vi } from 'vitest';
import type { Approval } from '@cheqpoint/shared';
import type { ApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import { toApprovalView } from '../../zendesk-app/src/app/api/approval-view';
import type { IGatewayClient } from '../../zendesk-app/src/app/api/gateway-client';
import { ThemeRoot } from '../../zendesk-app/src/app/components/ThemeRoot';
import {
  ClientContext,
  type IClientContextValue,
  type ICurrentUser,
} from '../../zendesk-app/src/app/contexts/ClientProvider';
import { createTranslator, type SupportedLocale } from '../../zendesk-app/src/app/lib/i18n';
import type { IZafClient } from '../../zendesk-app/src/types/zaf';

export const NOW = Date.parse('2026-03-01T12:00:00.000Z');

let counter = 0;
/** A valid pending approval (as the gateway returns it), created 5 minutes before NOW. */
export function buildApproval(overrides: Partial<Approval> = {}): ApprovalView {
  counter++;
  return toApprovalView({
    approvalId: `apr_${counter.toString(16).padStart(32, '0')}`,
    status: 'pending',
    modifiedDetails: null,
    decisionNote: null,
    decidedBy: null,
    action: 'refund_order',
    summary: 'Refund order #1001',
    details: { ticket_id: '9921', order_id: '1001', amount: 40, notify_customer: true, address: { city: 'Berlin' } },
    justification: 'The parcel arrived late.',
    ticketId: '9921',
    riskLevel: 'medium',
    priority: null,
    agentName: 'Support AI',
    metadata: null,
    createdAt: new Date(NOW - 5 * 60_000).toISOString(),
    decidedAt: null,
    expiresAt: new Date(NOW + 2 * 3600_000).toISOString(),
    callback: null,
    policy: null,
    quorum: null,
    escalatesAt: null,
    ...overrides,
  });
}

export type FakeClient = IZafClient & {
  handlers: Map<string, Set<(data?: unknown) => void>>;
  emit: (event: string, data?: unknown) => void;
  request: ReturnType<typeof vi.fn>;
  invoke: ReturnType<typeof vi.fn>;
};

/** A ZAF client double: records handlers, resolves get/invoke/request with vi.fn defaults. */
export function fakeClient(): FakeClient {
  const handlers = new Map<string, Set<(data?: unknown) => void>>();
  const client = {
    handlers,
    on: vi.fn((event: string, handler: (data?: unknown) => void) => {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event)?.add(handler);
    }),
    off: vi.fn((event: string, handler: (data?: unknown) => void) => handlers.get(event)?.delete(handler)),
    get: vi.fn(async () => ({})),
    set: vi.fn(async () => ({})),
    invoke: vi.fn(async () => ({})),
    request: vi.fn(async () => ({})),
    context: vi.fn(async () => ({ location: 'ticket_sidebar' })),
    metadata: vi.fn(async () => ({ settings: {} })),
    emit: (event: string, data?: unknown) => {
      for (const handler of handlers.get(event) ?? []) handler(data);
    },
  };
  return client as unknown as FakeClient;
}

export function fakeGateway(overrides: Partial<IGatewayClient> = {}): IGatewayClient & {
  [K in keyof IGatewayClient]: ReturnType<typeof vi.fn>;
} {
  const gateway = {
    listForTicket: vi.fn(async () => []),
    listPending: vi.fn(async () => []),
    decide: vi.fn(),
    retryExecution: vi.fn(),
    ...overrides,
  } as Omit<IGatewayClient, 'pageForTicket' | 'pagePending'> & Partial<IGatewayClient>;
  // The pages (with a cursor) come from the lists unless a test gives them: no cursor, so the app polls.
  return {
    pageForTicket: vi.fn(async (ticketId: string) => ({
      approvals: await gateway.listForTicket(ticketId),
      cursor: null,
    })),
    pagePending: vi.fn(async (options?: { action?: string; limit?: number }) => ({
      approvals: await gateway.listPending(options),
      cursor: null,
    })),
    ...gateway,
  } as never;
}

export interface IRenderOptions {
  client?: FakeClient;
  gateway?: IGatewayClient;
  location?: string;
  locale?: SupportedLocale;
  isTicketNoteEnabled?: boolean;
  /** Overrides of the signed-in agent (Ada Lovelace, role agent, no groups). */
  currentUser?: Partial<ICurrentUser>;
}

/** Renders inside the app's providers with a fake client and gateway. */
export function renderWithClient(ui: ReactElement, options: IRenderOptions = {}) {
  const client = options.client ?? fakeClient();
  const gateway = options.gateway ?? fakeGateway();
  const locale = options.locale ?? 'en';
  const value: IClientContextValue = {
    client,
    location: options.location ?? 'ticket_sidebar',
    ticketId: '9921',
    currentUser: {
      id: '381',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      locale,
      role: 'agent',
      groups: [],
      ...options.currentUser,
    },
    colorScheme: 'light',
    locale,
    t: createTranslator(locale),
    gateway,
    isTicketNoteEnabled: options.isTicketNoteEnabled ?? true,
  };
  const wrap = (inner: ReactElement) => (
    <ClientContext.Provider value={value}>
      <ThemeRoot colorScheme="light">{inner}</ThemeRoot>
    </ClientContext.Provider>
  );
  const result = render(wrap(ui));
  // rerender keeps the providers, so a test can hand a card a refreshed approval
  return { ...result, rerender: (next: ReactElement) => result.rerender(wrap(next)), client, gateway };
}

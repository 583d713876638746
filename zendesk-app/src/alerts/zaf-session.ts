import type { IZafClient, IZafContext, IZafMetadata } from '../types/zaf';
import { parseCurrencySetting } from '../app/lib/money';
import type { IDecidingAgent } from './may-decide';

/** The signed-in agent as the alerts need them: authority (id, role, groups) and language. */
export interface IAlertAgent extends IDecidingAgent {
  locale: string;
}

export interface IAlertSession {
  client: IZafClient;
  context: IZafContext;
  agent: IAlertAgent;
  gatewayUrl: string;
  defaultCurrency: string | null;
  colorScheme: 'light' | 'dark';
}

/** Zendesk's `currentUser` (groups are `{ id, name }` objects); anything malformed is skipped. */
export function agentOf(raw: unknown): IAlertAgent {
  const user = (raw ?? {}) as Record<string, unknown>;
  const groups = Array.isArray(user['groups'])
    ? user['groups']
        .map((group: unknown) => (group as { name?: unknown } | null)?.name)
        .filter((name): name is string => typeof name === 'string')
    : [];
  return {
    id: String(user['id'] ?? ''),
    role: typeof user['role'] === 'string' ? user['role'] : null,
    groups,
    locale: typeof user['locale'] === 'string' ? user['locale'] : 'en',
  };
}

/**
 * Initialises ZAF and waits for Zendesk's handshake, then reads who is signed in: null outside Zendesk.
 * Listens for `app.registered` before anything else, so the answer cannot arrive before anyone waits.
 */
export function startSession(): Promise<IAlertSession> | null {
  const client = window.ZAFClient?.init();
  if (!client) return null;
  return new Promise<{ context?: IZafContext; metadata?: IZafMetadata }>((resolve) => {
    client.on('app.registered', (data) => resolve((data ?? {}) as { context?: IZafContext; metadata?: IZafMetadata }));
  }).then(async ({ context, metadata }) => {
    const data = await client.get(['currentUser', 'colorScheme']);
    const settings = metadata?.settings ?? {};
    return {
      client,
      context: context ?? { location: 'background' },
      agent: agentOf(data['currentUser']),
      gatewayUrl: typeof settings['gatewayUrl'] === 'string' ? settings['gatewayUrl'] : '',
      defaultCurrency: parseCurrencySetting(settings['defaultCurrency']),
      colorScheme: data['colorScheme'] === 'dark' ? 'dark' : 'light',
    };
  });
}

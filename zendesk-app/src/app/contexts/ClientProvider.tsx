import { createContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { IZafClient, IZafContext, IZafMetadata } from '../../types/zaf';
import { createGatewayClient, type IGatewayClient } from '../api/gateway-client';
import { createTranslator, loadLocale, pickLocale, type SupportedLocale, type Translate } from '../lib/i18n';
import { parseCurrencySetting } from '../lib/money';

export const COLOR_SCHEMES = ['light', 'dark'] as const;
export type ColorScheme = (typeof COLOR_SCHEMES)[number];

/** The signed-in Zendesk user, as `client.get('currentUser')` reports it (display data, not proof). */
export interface ICurrentUser {
  id: string;
  name: string;
  email?: string;
  locale?: string;
  /** Zendesk role (`admin`, `agent`, …): what the card says about approval authority; the gateway enforces it. */
  role?: string;
  /** Names of the user's Zendesk groups, for the same display (ZAF gives `{ id, name }` objects). */
  groups: string[];
}

/** What `app.registered` delivers. */
export interface IRegistration {
  context: IZafContext;
  metadata: IZafMetadata;
}

export interface IClientContextValue {
  client: IZafClient;
  /** `ticket_sidebar`, `nav_bar`, … */
  location: string;
  /** The open ticket (sidebar only). */
  ticketId: string | null;
  currentUser: ICurrentUser;
  colorScheme: ColorScheme;
  locale: SupportedLocale;
  t: Translate;
  gateway: IGatewayClient;
  /** The optional internal-note setting (on unless an admin turns it off). */
  isTicketNoteEnabled: boolean;
  /** The `defaultCurrency` setting (ISO 4217, upper case): money in details that name no currency; else null. */
  defaultCurrency?: string | null;
}

export const ClientContext = createContext<IClientContextValue | null>(null);

export interface IClientProviderProps {
  /** The initialised ZAF client. */
  client: IZafClient;
  /** Resolves once Zendesk has answered the handshake (`app.registered`). */
  registered: Promise<IRegistration>;
  /** Colour scheme from the iframe URL, used until ZAF answers. */
  initialColorScheme?: ColorScheme;
  children: ReactNode;
}

const asScheme = (value: unknown, fallback: ColorScheme): ColorScheme =>
  value === 'dark' || value === 'light' ? value : fallback;

/** Group names from ZAF's `currentUser.groups`; anything malformed is skipped, not fatal. */
function groupNames(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map((group: unknown) => (group as { name?: unknown } | null)?.name)
    .filter((name): name is string => typeof name === 'string');
}

function userOf(raw: unknown): ICurrentUser {
  const user = (raw ?? {}) as Record<string, unknown>;
  return {
    id: String(user['id'] ?? ''),
    name: typeof user['name'] === 'string' ? user['name'] : '',
    ...(typeof user['email'] === 'string' ? { email: user['email'] } : {}),
    ...(typeof user['locale'] === 'string' ? { locale: user['locale'] } : {}),
    ...(typeof user['role'] === 'string' ? { role: user['role'] } : {}),
    groups: groupNames(user['groups']),
  };
}

/** Renders nothing until Zendesk has registered the app, then provides the client and what it told us. */
export function ClientProvider({ client, registered, initialColorScheme = 'light', children }: IClientProviderProps) {
  const [state, setState] = useState<
    | (Omit<IClientContextValue, 'colorScheme' | 't' | 'gateway'> & {
        gatewayUrl: string;
      })
    | null
  >(null);
  const [colorScheme, setColorScheme] = useState<ColorScheme>(initialColorScheme);

  useEffect(() => {
    let isMounted = true;
    const onScheme = (value: unknown) => setColorScheme((current) => asScheme(value, current));
    void registered.then(async ({ context, metadata }) => {
      const data = await client.get([
        'currentUser',
        'colorScheme',
        ...(context.location === 'ticket_sidebar' ? ['ticket.id'] : []),
      ]);
      const user = userOf(data['currentUser']);
      const locale = pickLocale(user.locale);
      // a failed load (network) leaves the app in English rather than blank
      await loadLocale(locale).catch(() => undefined);
      if (!isMounted) return;
      const ticket = data['ticket.id'] ?? context.ticketId;
      const settings = metadata.settings ?? {};
      setColorScheme((current) => asScheme(data['colorScheme'], current));
      setState({
        client,
        location: context.location,
        ticketId: ticket === undefined || ticket === null ? null : String(ticket),
        currentUser: user,
        locale,
        gatewayUrl: typeof settings['gatewayUrl'] === 'string' ? settings['gatewayUrl'] : '',
        isTicketNoteEnabled: settings['addTicketNote'] !== false && settings['addTicketNote'] !== 'false',
        defaultCurrency: parseCurrencySetting(settings['defaultCurrency']),
      });
    });
    client.on('colorScheme.changed', onScheme);
    return () => {
      isMounted = false;
      client.off('colorScheme.changed', onScheme);
    };
  }, [client, registered]);

  const value = useMemo<IClientContextValue | null>(() => {
    if (!state) return null;
    const { gatewayUrl, ...rest } = state;
    return {
      ...rest,
      colorScheme,
      t: createTranslator(state.locale),
      gateway: createGatewayClient(client, gatewayUrl),
    };
  }, [state, colorScheme, client]);

  if (!value) return null;
  return <ClientContext.Provider value={value}>{children}</ClientContext.Provider>;
}

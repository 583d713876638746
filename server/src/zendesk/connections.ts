import type { Connection } from 'mongoose';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import { zendeskModels, type ZendeskConnectionDoc } from './zendesk.model.js';

/** What `zendesk connect` stores (the secret comes from an env var or stdin, never argv). */
export type ConnectInput = {
  subdomain: string;
  /** Overrides `https://<subdomain>.zendesk.com` (plain http only for a loopback host). */
  url?: string | null;
  appId: number;
  auth: { kind: 'api-token'; email: string; token: string } | { kind: 'oauth'; token: string };
};

/** A connection as the CLI shows it: everything but the secret. */
export type ConnectionView = Omit<ZendeskConnectionDoc, '_id' | 'secret'> & { accountId: string };

export class ConnectionError extends Error {}

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** The API base URL: Zendesk's own for the subdomain, or an override (https, or http on loopback). */
export function baseUrlOf(subdomain: string, override?: string | null): string {
  if (!SUBDOMAIN.test(subdomain)) throw new ConnectionError(`"${subdomain}" is not a Zendesk subdomain (e.g. acme)`);
  if (!override) return `https://${subdomain.toLowerCase()}.zendesk.com`;
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new ConnectionError(`--url "${override}" is not a URL`);
  }
  const isLoopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback)) {
    throw new ConnectionError('--url must be https (plain http only for 127.0.0.1, [::1] or localhost)');
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConnectionError('--url takes no credentials, query or fragment');
  }
  return url.origin;
}

/** The Authorization header of a connection (the only place the secret is used). */
export function authorizationOf(connection: Pick<ZendeskConnectionDoc, 'authKind' | 'email' | 'secret'>): string {
  if (connection.authKind === 'oauth') return `Bearer ${connection.secret}`;
  return `Basic ${Buffer.from(`${connection.email}/token:${connection.secret}`).toString('base64')}`;
}

/** What a connection stores of `input`, checked (a ConnectionError names what is wrong); nothing is stored here. */
export function connectionFieldsOf(input: ConnectInput): Omit<ZendeskConnectionDoc, '_id' | 'createdAt' | 'updatedAt'> {
  if (!Number.isSafeInteger(input.appId) || input.appId <= 0) {
    throw new ConnectionError('--app-id needs the numeric id of the Cheqpoint app in Zendesk');
  }
  if (!input.auth.token.trim()) throw new ConnectionError('The token is empty');
  if (input.auth.kind === 'api-token' && !/^[^\s@/]+@[^\s@/]+$/.test(input.auth.email)) {
    throw new ConnectionError('--email needs the address of the Zendesk agent the API token belongs to');
  }
  return {
    subdomain: input.subdomain.toLowerCase(),
    baseUrl: baseUrlOf(input.subdomain, input.url),
    appId: input.appId,
    authKind: input.auth.kind,
    email: input.auth.kind === 'api-token' ? input.auth.email : null,
    secret: input.auth.token.trim(),
  };
}

export function toConnectionView(doc: ZendeskConnectionDoc): ConnectionView {
  const { _id, secret: _secret, ...rest } = doc;
  return { accountId: _id, ...rest };
}

/** How long a gateway trusts what it read of an account's connection (a change applies within this). */
const CACHE_MS = 5_000;

/** Per-account Zendesk connections (`zendesk_connections`, keyed by account id). */
export function zendeskConnections(conn: Connection, clock: Clock = systemClock) {
  const { ZendeskConnection } = zendeskModels(conn);
  const cache = new Map<string, { doc: ZendeskConnectionDoc | null; at: number }>();

  return {
    async connect(accountId: string, input: ConnectInput): Promise<ConnectionView> {
      const fields = connectionFieldsOf(input);
      const now = clock.now();
      const existing = await ZendeskConnection.findById(accountId, { createdAt: 1 }).lean();
      const doc: ZendeskConnectionDoc = {
        _id: accountId,
        ...fields,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await ZendeskConnection.replaceOne({ _id: accountId }, doc, { upsert: true });
      cache.delete(accountId);
      return toConnectionView(doc);
    },

    async show(accountId: string): Promise<ConnectionView | null> {
      const doc = await ZendeskConnection.findById(accountId).lean<ZendeskConnectionDoc>();
      return doc ? toConnectionView(doc) : null;
    },

    async disconnect(accountId: string): Promise<boolean> {
      cache.delete(accountId);
      return (await ZendeskConnection.deleteOne({ _id: accountId })).deletedCount > 0;
    },

    /** The account's connection, read at most every few seconds per account (intake asks on every approval). */
    async find(accountId: string): Promise<ZendeskConnectionDoc | null> {
      const hit = cache.get(accountId);
      const now = clock.now().getTime();
      if (hit && now - hit.at < CACHE_MS) return hit.doc;
      const doc = await ZendeskConnection.findById(accountId).lean<ZendeskConnectionDoc>();
      cache.set(accountId, { doc, at: now });
      if (cache.size > 10_000) cache.delete(cache.keys().next().value as string);
      return doc;
    },
  };
}
export type ZendeskConnections = ReturnType<typeof zendeskConnections>;

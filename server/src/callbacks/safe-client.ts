import net, { type LookupFunction } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { CallbackUrlError, checkUrlShape, isPublicAddress, type Resolver } from './callback-url.js';
import type { AttemptResult } from './retry-schedule.js';

/** Longest time one attempt may take, connect to last byte read. */
export const CALLBACK_TIMEOUT_MS = 15_000;
/** Most bytes of a receiver's response that are read; the rest is discarded with the connection. */
export const MAX_RESPONSE_BYTES = 16 * 1024;

/** A callback target refused by the address rules (SSRF); never retried. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_CALLBACK_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/**
 * The one HTTP client that sends requests to addresses an account chose: callbacks, and the requests
 * that carry out approved actions (actions/, which gives another `method` and may send no body).
 */
export type CallbackClient = {
  post: (
    url: string,
    input: { headers: Record<string, string>; body: string | undefined; signal?: AbortSignal; method?: string },
  ) => Promise<AttemptResult>;
  close: () => Promise<void>;
};

export type CallbackClientOptions = {
  resolver: Resolver;
  /** Exact `host:port` pairs that may be private and use http (dev and tests). */
  allowlist: readonly string[];
  timeoutMs?: number;
  maxResponseBytes?: number;
};

/**
 * A `net.connect` lookup that resolves through `resolver` and fails when ANY address is not public
 * unicast (unless `isAllowlisted(hostname)`). The socket then connects only to the addresses checked
 * here, so a second, rebound DNS answer can never be used. Serves both lookup shapes Node uses:
 * `{ all: true }` (address list, happy eyeballs) and single (first address).
 */
export function safeLookup(resolver: Resolver, isAllowlisted: (hostname: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    const check = async () => {
      const addresses = await resolver(hostname);
      if (!isAllowlisted(hostname)) {
        const refused = addresses.find((a) => !isPublicAddress(a));
        if (refused !== undefined) {
          throw new BlockedAddressError(`${hostname} resolves to a private, loopback or reserved address (${refused})`);
        }
      }
      const family = options.family === 4 || options.family === 6 ? options.family : 0;
      const entries = addresses
        .map((address) => ({ address, family: net.isIP(address) }))
        .filter((e) => e.family !== 0 && (family === 0 || e.family === family));
      if (entries.length === 0) {
        throw Object.assign(new Error(`No usable address for ${hostname}`), { code: 'ENOTFOUND', hostname });
      }
      return entries;
    };
    check().then(
      (entries) => {
        if (options.all) callback(null, entries);
        else callback(null, (entries[0] as { address: string }).address, (entries[0] as { family: number }).family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/**
 * The connector of the callback agent: it refuses plain http and non-public IP literals (which never
 * reach `lookup`) unless the exact `host:port` is allowlisted, and resolves names through `safeLookup`.
 */
function safeConnector(options: CallbackClientOptions, connectTimeoutMs: number): buildConnector.connector {
  const byPort = new Map<string, buildConnector.connector>();
  const connectorFor = (port: string) => {
    let connector = byPort.get(port);
    if (!connector) {
      const lookup = safeLookup(options.resolver, (hostname) =>
        options.allowlist.includes(`${hostname.toLowerCase()}:${port}`),
      );
      connector = buildConnector({ timeout: connectTimeoutMs, lookup });
      byPort.set(port, connector);
    }
    return connector;
  };
  return (connectOptions, callback) => {
    const port = connectOptions.port || (connectOptions.protocol === 'https:' ? '443' : '80');
    const host = connectOptions.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const isV6 = net.isIPv6(host);
    const isAllowlisted = options.allowlist.includes(`${isV6 ? `[${host}]` : host}:${port}`);
    if (connectOptions.protocol !== 'https:' && !isAllowlisted) {
      callback(new BlockedAddressError('Plain http is only allowed for allowlisted host:port pairs'), null);
      return;
    }
    if (net.isIP(host) && !isAllowlisted && !isPublicAddress(host)) {
      callback(new BlockedAddressError(`${host} is a private, loopback or reserved address`), null);
      return;
    }
    connectorFor(port)(connectOptions, callback);
  };
}

/** Reads at most `max` bytes of a body as text, then drops the rest (and with it the connection). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy: () => void }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const part = chunk.subarray(0, max - size);
      chunks.push(part);
      size += part.length;
      if (size >= max) break;
    }
  } catch {
    // The status decides the attempt; a body that fails or times out half-way does not matter.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

function codeOf(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

function findBlocked(err: unknown): BlockedAddressError | null {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof BlockedAddressError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** An attempt that got no response, classified. */
function errorResult(err: unknown, isTimedOut: boolean, isInterrupted: boolean, timeoutMs: number): AttemptResult {
  const blocked = findBlocked(err);
  if (blocked) return { kind: 'error', reason: 'blocked', message: `Blocked: ${blocked.message}` };
  if (isInterrupted) return { kind: 'error', reason: 'interrupted', message: 'Interrupted by a gateway shutdown' };
  const code = codeOf(err);
  if (isTimedOut || /TIMEOUT/.test(code)) {
    return { kind: 'error', reason: 'timeout', message: `No response within ${Math.round(timeoutMs / 1000)} s` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') {
    return { kind: 'error', reason: 'dns', message: `DNS lookup failed (${code})` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    kind: 'error',
    reason: 'network',
    message: `Network error${code ? ` (${code})` : ''}: ${message}`.slice(0, 300),
  };
}

/**
 * The callback HTTP client: undici 7 with the SSRF-safe connector, a per-attempt timeout, no redirects
 * (undici follows none without its redirect interceptor) and a capped read of the response.
 */
export function createCallbackClient(options: CallbackClientOptions): CallbackClient {
  const timeoutMs = options.timeoutMs ?? CALLBACK_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connect: safeConnector(options, timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
    allowH2: false,
  });

  return {
    async post(url, input) {
      try {
        checkUrlShape(new URL(url), options.allowlist);
      } catch (err) {
        if (err instanceof CallbackUrlError)
          return { kind: 'error', reason: 'blocked', message: `Blocked: ${err.message}` };
        throw err;
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = input.signal ? AbortSignal.any([timeout, input.signal]) : timeout;
      try {
        const res = await request(url, {
          dispatcher: agent,
          method: (input.method ?? 'POST') as 'POST',
          headers: {
            ...(input.body !== undefined ? { 'content-type': 'application/json' } : {}),
            'user-agent': 'Cheqpoint-Webhooks/1',
            ...input.headers,
          },
          body: input.body ?? null,
          signal,
        });
        const retryAfter = res.headers['retry-after'];
        const bodySnippet = await readCapped(res.body, maxBytes);
        return {
          kind: 'response',
          status: res.statusCode,
          retryAfter: Array.isArray(retryAfter) ? (retryAfter[0] ?? null) : (retryAfter ?? null),
          bodySnippet,
        };
      } catch (err) {
        return errorResult(err, timeout.aborted, input.signal?.aborted === true, timeoutMs);
      }
    },
    close: () => agent.destroy(),
  };
}

import type { Request } from 'express';
import ipaddr from 'ipaddr.js';
import { TokenBuckets } from '../lib/token-buckets.js';
import type { Logger } from '../lib/logger.js';
import { AppError } from './app-error.js';

/** Which limit refused a request: the per-key rate, the bad-key guard, the app page's per-address rate or its bad-token guard. */
export type LimitKind = 'key' | 'bad-key' | 'app-page' | 'bad-app-token';

export type RequestLimitsOptions = {
  /** Average requests per second per API key; 0 turns the per-key limit off. */
  ratePerSecond: number;
  /** Requests a key may make at once. */
  burst: number;
  /** Invalid keys one client address may present per minute; 0 turns the guard off. */
  badKeysPerMinute: number;
  logger: Logger;
  onLimited?: (kind: LimitKind) => void;
  now?: () => number;
};

/** How many recently valid keys are remembered (their hashes) so they pass a blocked address. */
const KNOWN_GOOD_KEYS = 10_000;

/**
 * The address a limit is keyed by: the client address Express derived (`req.ip`, which follows
 * X-Forwarded-For only from trusted proxies), IPv4-mapped IPv6 folded to IPv4, other IPv6 to its /64
 * (one host usually owns a whole /64).
 */
export function clientAddressKey(req: Request): string {
  const raw = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  try {
    const parsed = ipaddr.process(raw);
    if (parsed.kind() === 'ipv4') return parsed.toString();
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
    return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
  } catch {
    return raw;
  }
}

/** 429 problem with Retry-After in whole seconds (at least 1). */
export const tooManyRequests = (retryMs: number, detail: string) =>
  new AppError('too-many-requests', 429, detail, {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryMs / 1000))) },
  });

/**
 * Per-key rate limits and the guard against guessing keys, both in memory (per process):
 * - each API key (by key id) gets a token bucket: `burst` at once, `ratePerSecond` on average; over it,
 *   429 with Retry-After;
 * - each client address may present `badKeysPerMinute` invalid keys (malformed, unknown or revoked);
 *   past that its requests get 429 before any database lookup, until the budget refills. Keys that
 *   were valid recently still pass, so one tenant's typo or an attacker behind a shared egress address
 *   (Zendesk's, a NAT, a load balancer without CHEQPOINT_TRUST_PROXY) cannot lock others out.
 */
export class RequestLimits {
  private readonly perKey: TokenBuckets | null;
  private readonly badKeys: TokenBuckets | null;
  private readonly knownGood = new Map<string, true>();
  private readonly blockedLogged = new Set<string>();

  constructor(private readonly options: RequestLimitsOptions) {
    const now = options.now ? { now: options.now } : {};
    this.perKey =
      options.ratePerSecond > 0
        ? new TokenBuckets({ ratePerSecond: options.ratePerSecond, burst: Math.max(1, options.burst), ...now })
        : null;
    this.badKeys =
      options.badKeysPerMinute > 0
        ? new TokenBuckets({ ratePerSecond: options.badKeysPerMinute / 60, burst: options.badKeysPerMinute, ...now })
        : null;
  }

  /** Before the key is looked up: 429 when this address is over its bad-key budget and the key is not known good. */
  checkAddress(req: Request, keyHash: string) {
    if (!this.badKeys || this.knownGood.has(keyHash)) return;
    const address = clientAddressKey(req);
    const waitMs = this.badKeys.peek(address);
    if (waitMs === 0) {
      this.blockedLogged.delete(address);
      return;
    }
    if (!this.blockedLogged.has(address)) {
      if (this.blockedLogged.size > 10_000) this.blockedLogged.clear();
      this.blockedLogged.add(address);
      this.options.logger.warn('too many invalid API keys from one address; refusing it for now', {
        address,
        retryAfterMs: waitMs,
      });
    }
    this.options.onLimited?.('bad-key');
    throw tooManyRequests(waitMs, 'Too many invalid API keys from this address; retry later');
  }

  /**
   * An invalid key was presented from this request's address. A key that was valid and is now revoked
   * stops being known good here, so its further use counts against the address like any bad key
   * (otherwise a leaked, revoked key could be replayed forever, a 401 and a lookup each time).
   */
  recordBadKey(req: Request, keyHash: string) {
    if (!this.badKeys) return;
    this.knownGood.delete(keyHash);
    this.badKeys.take(clientAddressKey(req));
  }

  /** A key authenticated: remember it (by hash) and apply its rate limit. */
  checkKey(principal: { keyId: string }, keyHash: string) {
    if (this.badKeys) {
      this.knownGood.delete(keyHash);
      this.knownGood.set(keyHash, true);
      if (this.knownGood.size > KNOWN_GOOD_KEYS) {
        const oldest = this.knownGood.keys().next().value;
        if (oldest !== undefined) this.knownGood.delete(oldest);
      }
    }
    if (!this.perKey) return;
    const waitMs = this.perKey.take(principal.keyId);
    if (waitMs === 0) return;
    this.options.onLimited?.('key');
    throw tooManyRequests(waitMs, 'Too many requests with this API key; retry after the time in Retry-After');
  }
}

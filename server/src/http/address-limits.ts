import type { Request } from 'express';
import { TokenBuckets } from '../lib/token-buckets.js';
import type { Logger } from '../lib/logger.js';
import { clientAddressKey, tooManyRequests, type LimitKind } from './limits.js';

export type AddressLimitsOptions = {
  /** Requests one client address may make per minute (all at once, at most); 0 turns the limit off. */
  perMinute: number;
  /** Invalid credentials one client address may present per minute; 0 turns the guard off. */
  badPerMinute: number;
  /** What is limited and what is bad, for messages and logs: e.g. `app page loads`, `signed-URL tokens`. */
  names: { requests: string; credentials: string };
  /** The metric label of each refusal. */
  kinds: { rate: LimitKind; bad: LimitKind };
  logger: Logger;
  onLimited?: (kind: LimitKind) => void;
  now?: () => number;
};

/**
 * Limits by client address alone, for an endpoint without an API key to key a limit by (the signed-URL
 * app page, whose credential is a token Zendesk signs per page load):
 * - each address gets a token bucket of `perMinute` requests (that many at once, `perMinute` a minute on
 *   average); over it, 429 with Retry-After;
 * - each address may present `badPerMinute` invalid credentials; past that, its requests get 429 before
 *   any database lookup or signature check, until the budget refills. Each request takes its share of
 *   that budget when it arrives and gives it back once its credential proved valid (`release`): a
 *   burst of concurrent forgeries gets no further than the budget, although none has failed yet.
 * Both in memory, per process, like the API's limits. A valid credential cannot be told apart before it
 * is checked, so one from an address that is over its bad budget waits too (see the README).
 */
export class AddressLimits {
  private readonly perAddress: TokenBuckets | null;
  private readonly bad: TokenBuckets | null;
  /** When each blocked address was last logged: once a minute at most, however it keeps trying. */
  private readonly loggedAt = new Map<string, number>();

  constructor(private readonly options: AddressLimitsOptions) {
    const now = options.now ? { now: options.now } : {};
    this.perAddress =
      options.perMinute > 0
        ? new TokenBuckets({ ratePerSecond: options.perMinute / 60, burst: Math.max(1, options.perMinute), ...now })
        : null;
    this.bad =
      options.badPerMinute > 0
        ? new TokenBuckets({ ratePerSecond: options.badPerMinute / 60, burst: options.badPerMinute, ...now })
        : null;
  }

  /**
   * Before anything is read or verified: 429 when the address is over its bad budget or its rate; else
   * the request holds one unit of the bad budget until `release`.
   */
  check(req: Request) {
    const address = clientAddressKey(req);
    const badWaitMs = this.bad?.take(address) ?? 0;
    if (badWaitMs > 0) {
      this.logBlocked(address, badWaitMs);
      this.options.onLimited?.(this.options.kinds.bad);
      throw tooManyRequests(
        badWaitMs,
        `Too many invalid ${this.options.names.credentials} from this address; retry later`,
      );
    }
    const waitMs = this.perAddress?.take(address) ?? 0;
    if (waitMs > 0) {
      this.bad?.refund(address);
      this.options.onLimited?.(this.options.kinds.rate);
      throw tooManyRequests(waitMs, `Too many ${this.options.names.requests} from this address; retry later`);
    }
  }

  /** The request's credential was valid, or could not be checked (the database failed): its unit goes back. */
  release(req: Request) {
    this.bad?.refund(clientAddressKey(req));
  }

  private logBlocked(address: string, retryAfterMs: number) {
    const now = this.options.now ? this.options.now() : performance.now();
    const last = this.loggedAt.get(address);
    if (last !== undefined && now - last < 60_000) return;
    if (this.loggedAt.size > 10_000) this.loggedAt.clear();
    this.loggedAt.set(address, now);
    this.options.logger.warn(
      `too many invalid ${this.options.names.credentials} from one address; refusing it for now`,
      {
        address,
        retryAfterMs,
      },
    );
  }
}

import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to all its addresses (injected in tests to simulate DNS). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => {
  const results = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

export const MAX_CALLBACK_URL_LENGTH = 2048;

/** Ports a callback may use besides 443: unprivileged ones. */
const isAllowedPort = (port: number) => port === 443 || (port >= 1024 && port <= 65535);

/** IPv6 global unicast: everything routable on the internet today is inside it. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** The well-known NAT64 prefix (RFC 6052): DNS64 gives IPv6-only hosts `64:ff9b::<IPv4>` for public IPv4 names. */
const NAT64_V6 = ipaddr.parseCIDR('64:ff9b::/96');

const isPublicV4 = (address: ipaddr.IPv4) => address.range() === 'unicast';

/**
 * True only for globally routable unicast addresses (no loopback, private, link-local, metadata, …).
 * IPv6 must be in 2000::/3 and not a special range: that refuses the deprecated IPv4-compatible
 * `::/96` (`[::7f00:1]` is `[::127.0.0.1]`) and the rest of `::/8` as a whole. Forms that embed an IPv4
 * address are judged by it, consistently: IPv4-mapped `::ffff:a.b.c.d` and well-known NAT64
 * `64:ff9b::a.b.c.d` (real on DNS64 networks) pass only with a public IPv4 inside; 6to4 (2002::/16),
 * Teredo and the NAT64 local-use prefix are refused whatever they embed (deprecated or site-specific
 * translations, and a relay would carry the request to the embedded address).
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return isPublicV4(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return isPublicV4(v6.toIPv4Address());
  if (v6.match(NAT64_V6)) {
    const [high = 0, low = 0] = v6.parts.slice(6);
    return isPublicV4(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]));
  }
  return v6.match(GLOBAL_UNICAST_V6) && v6.range() === 'unicast';
}

export class CallbackUrlError extends Error {}

export type CallbackUrlPolicy = {
  /** Exact `host:port` pairs allowed even when private; they may use http. */
  allowlist: readonly string[];
  resolver: Resolver;
  /** Longest DNS wait at intake; an unresolvable name is accepted and checked again at delivery. */
  resolveTimeoutMs?: number;
};

/** `host:port` of a URL, with the scheme's default port. */
export function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.toLowerCase()}:${port}`;
}

async function resolveWithTimeout(resolver: Resolver, hostname: string, timeoutMs: number): Promise<string[] | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolver(hostname),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), timeoutMs);
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The checks that need no DNS, run at intake and again before every delivery: scheme, credentials,
 * fragment, port, IP literals and obviously local names. Allowlisted `host:port` pairs skip the rest.
 */
export function checkUrlShape(url: URL, allowlist: readonly string[]): { isAllowlisted: boolean; host: string } {
  const isAllowlisted = allowlist.includes(hostPort(url));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isAllowlisted)) {
    throw new CallbackUrlError('must use https');
  }
  if (url.username || url.password) throw new CallbackUrlError('must not contain a user name or password');
  if (url.hash) throw new CallbackUrlError('must not contain a fragment');
  if (isAllowlisted) return { isAllowlisted, host };
  const port = url.port ? Number(url.port) : 443;
  if (!isAllowedPort(port)) throw new CallbackUrlError(`port ${port} is not allowed (use 443 or 1024–65535)`);
  if (ipaddr.isValid(host)) {
    if (!isPublicAddress(host)) throw new CallbackUrlError('points at a private, loopback or reserved address');
    return { isAllowlisted, host };
  }
  if (!/\./.test(host) || /\.(localhost|local|internal|localdomain)$/i.test(host) || host === 'localhost') {
    throw new CallbackUrlError('must name a public host');
  }
  return { isAllowlisted, host };
}

/**
 * Checks a callback URL at intake. Throws CallbackUrlError with a reason a caller can act on.
 * The same address checks run again at delivery, after DNS, on the connection itself.
 */
export async function checkCallbackUrl(raw: string, policy: CallbackUrlPolicy): Promise<string> {
  if (raw.length > MAX_CALLBACK_URL_LENGTH)
    throw new CallbackUrlError(`is longer than ${MAX_CALLBACK_URL_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- [1] control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw new CallbackUrlError('contains whitespace or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CallbackUrlError('is not an absolute URL');
  }
  const { isAllowlisted, host } = checkUrlShape(url, policy.allowlist);
  if (isAllowlisted || ipaddr.isValid(host)) return url.toString();
  const addresses = await resolveWithTimeout(policy.resolver, host, policy.resolveTimeoutMs ?? 2_000);
  if (addresses && addresses.some((a) => !isPublicAddress(a))) {
    throw new CallbackUrlError('resolves to a private, loopback or reserved address');
  }
  return url.toString();
}

import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayMetrics } from '../metrics.js';
import { AddressLimits } from './address-limits.js';

/** The app page's limits (CHEQPOINT_APP_PAGE_LIMIT, CHEQPOINT_BAD_APP_TOKEN_LIMIT), or null when both are off. */
export function appPageLimits(
  config: Pick<Config, 'CHEQPOINT_APP_PAGE_LIMIT' | 'CHEQPOINT_BAD_APP_TOKEN_LIMIT'>,
  logger: Logger,
  metrics: Pick<GatewayMetrics, 'rateLimited'>,
): AddressLimits | null {
  if (config.CHEQPOINT_APP_PAGE_LIMIT === 0 && config.CHEQPOINT_BAD_APP_TOKEN_LIMIT === 0) return null;
  return new AddressLimits({
    perMinute: config.CHEQPOINT_APP_PAGE_LIMIT,
    badPerMinute: config.CHEQPOINT_BAD_APP_TOKEN_LIMIT,
    names: { requests: 'app page loads', credentials: 'signed-URL tokens' },
    kinds: { rate: 'app-page', bad: 'bad-app-token' },
    logger,
    onLimited: (kind) => metrics.rateLimited(kind),
  });
}

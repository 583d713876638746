import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Router } from 'express';
import type { Connection } from 'mongoose';
import type { AccountsService } from './accounts/accounts.service.js';
import { maybePrincipalOf } from './accounts/auth.middleware.js';
import { approvalsRouter } from './approvals/approvals.router.js';
import { auditRouter } from './audit/audit.router.js';
import type { ApprovalsService } from './approvals/approvals.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { callbacksRouter } from './callbacks/callbacks.router.js';
import type { CallbacksService } from './callbacks/callbacks.service.js';
import { pingDatabase } from './db/connection.js';
import { AppError } from './http/app-error.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { jsonBody } from './http/json-body.js';
import type { AddressLimits } from './http/address-limits.js';
import type { RequestLimits } from './http/limits.js';
import { markReceived } from './http/request-options.js';
import type { Logger } from './lib/logger.js';
import type { GatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { signedAppRouter } from './zendesk/signed-app.router.js';
import type { VerifiedDeciders } from './zendesk/verified-decider.js';
import type { ZendeskVerifications } from './zendesk/verifications.js';
import type { Clock } from './lib/clock.js';

export type AppDeps = {
  conn: Connection;
  accounts: AccountsService;
  approvals: ApprovalsService;
  /** The audit trail, served at GET /api/approvals/{id}/events; without it, not mounted. */
  audit?: AuditTrail;
  /** Callback redelivery; without it the redeliver endpoint is not mounted. */
  callbacks?: CallbacksService;
  logger: Logger;
  /** True once shutdown has begun: readiness fails and new work is refused. */
  isShuttingDown: () => boolean;
  /** Per-key rate limits and the bad-key guard; without it, no limits. */
  limits?: RequestLimits | null;
  /** Prometheus metrics, served at GET /metrics; without it, no /metrics. */
  metrics?: GatewayMetrics | null;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | null;
  /** Express `trust proxy`: which proxies' X-Forwarded-For gives the client address (default: none). */
  trustProxy?: boolean | number | string[];
  /** Who decides (Zendesk-verified where an account asks for it); without it, the body's agent, unverified. */
  deciders?: VerifiedDeciders | null;
  /** Slack's Interactivity URL (`POST /api/slack/interactions`, slack/); without it, not mounted. */
  slack?: Router | null;
  /** Insights and suggested rules (`GET /api/agent/insights…`, insights/); without it, not mounted. */
  insights?: Router | null;
  /** Retry of a failed execution (`POST /api/agent/approvals/{id}/execution/retry`, actions/); without it, not mounted. */
  executions?: Router | null;
  /** The app page for signed URLs at /zendesk/app/ (CHEQPOINT_APP_DIR); without it, not mounted. */
  signedApp?: {
    appDir: string;
    verifications: ZendeskVerifications;
    clock: Clock;
    /** Per-address rate of page loads and budget of invalid tokens; without it, none. */
    limits?: AddressLimits | null;
  } | null;
};

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant-time check of `Authorization: Bearer <token>`. */
function hasBearer(req: Request, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  return match !== null && timingSafeEqual(digest(match[1] ?? ''), digest(token));
}

/** The Express app, without `listen` (tests bind it to port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use((req, res, next) => {
    markReceived(res);
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const routePattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePattern === 'string' ? routePattern : null;
      const keyId = maybePrincipalOf(req)?.keyId;
      deps.logger.info('request', {
        requestId,
        method: req.method,
        route: route ?? req.path.slice(0, 100),
        status: res.statusCode,
        ms,
        ...(keyId ? { keyId } : {}),
      });
      deps.metrics?.observeRequest(req.method, route ?? 'other', res.statusCode, ms / 1000);
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown()) {
      res.status(503).json({ status: 'shutting-down' });
      return;
    }
    try {
      await pingDatabase(deps.conn);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).setHeader('Retry-After', '5').json({ status: 'database-unavailable' });
    }
  });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (req, res) => {
      if (deps.metricsToken && !hasBearer(req, deps.metricsToken)) {
        throw new AppError('unauthorized', 401, 'Send the metrics token as Authorization: Bearer <token>');
      }
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }

  app.use((_req, _res, next) => {
    if (deps.isShuttingDown()) {
      next(
        new AppError('shutting-down', 503, 'The gateway is shutting down; retry', {
          headers: { 'Retry-After': '2', Connection: 'close' },
        }),
      );
    } else next();
  });
  // Before the JSON body parser: redeliver takes no body, so a bare POST is fine.
  if (deps.callbacks) {
    app.use(
      callbacksRouter({
        accounts: deps.accounts,
        callbacks: deps.callbacks,
        readApproval: (accountId, approvalId) => deps.approvals.get(accountId, approvalId),
        limits: deps.limits ?? null,
      }),
    );
  }
  // Before the JSON body parser: a retry takes no body, like redeliver.
  if (deps.executions) app.use(deps.executions);
  // Before the JSON body parser: Zendesk posts the signed-URL token as a form.
  if (deps.signedApp) app.use(signedAppRouter(deps.signedApp));
  // Before the JSON body parser too: Slack's signature covers the raw form body.
  if (deps.slack) app.use(deps.slack);
  app.use(jsonBody());
  app.use(approvalsRouter(deps));
  if (deps.insights) app.use(deps.insights);
  if (deps.audit) {
    app.use(
      auditRouter({
        accounts: deps.accounts,
        audit: deps.audit,
        approvalExists: async (accountId, approvalId) => {
          try {
            await deps.approvals.get(accountId, approvalId);
            return true;
          } catch (err) {
            if (err instanceof AppError && err.status === 404) return false;
            throw err;
          }
        },
        limits: deps.limits ?? null,
      }),
    );
  }
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Connection } from 'mongoose';
import type { AccountsService } from './accounts/accounts.service.js';
import { approvalsRouter } from './approvals/approvals.router.js';
import { auditRouter } from './audit/audit.router.js';
import type { ApprovalsService } from './approvals/approvals.service.js';
import { callbacksRouter } from './callbacks/callbacks.router.js';
import type { CallbacksService } from './callbacks/callbacks.service.js';
import { pingDatabase } from './db/connection.js';
import { AppError } from './http/app-error.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { jsonBody } from './http/json-body.js';
import type { Logger } from './lib/logger.js';
import { openApiDocument } from './openapi.js';

export type AppDeps = {
  conn: Connection;
  accounts: AccountsService;
  approvals: ApprovalsService;
  /** Callback redelivery; without it the redeliver endpoint is not mounted. */
  callbacks?: CallbacksService;
  logger: Logger;
  /** True once shutdown has begun: readiness fails and new work is refused. */
  isShuttingDown: () => boolean;
};

/** The Express app, without `listen` (tests bind it to port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-store');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      deps.logger.info('request', {
        requestId,
        method: req.method,
        route: (req.route as { path?: string } | undefined)?.path ?? req.path.slice(0, 100),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
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
  if (deps.callbacks) app.use(callbacksRouter({ ...deps, callbacks: deps.callbacks }));
  app.use(jsonBody());
  app.use(approvalsRouter(deps));
  app.use(auditRouter({ accounts: deps.accounts, conn: deps.conn }));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

// `npm start`: the gateway as plain JavaScript (server/dist/, built after `npm install`), rebuilt first
// when a source file changed since. It runs in this very process, so SIGTERM and SIGINT reach the
// gateway's graceful shutdown directly.
import { buildServer, isStale } from './build-server.mjs';

if (isStale()) {
  await buildServer();
  (await import('esbuild')).stop();
}
await import('../server/dist/main.js');

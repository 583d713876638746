/**
 * The bare baseline: Express + mongoose with one database operation per request and nothing else
 * (no keys, no validation, no idempotency, no logging). Same database, same driver pool settings as
 * the gateway. Run as its own process, like the gateway:
 *   MONGODB_URI=mongodb://127.0.0.1:<port>/bench PORT=<port> node --import tsx bench/baseline-server.ts
 *
 * POST /insert           one insertOne of a document shaped like a stored approval
 * GET  /approvals/:id    one findById on the gateway's approvals collection
 * GET  /held/:id?wait=s  the same findById when the call arrives, then the answer after `wait`
 *                        seconds (fractions allowed) from then: held calls, and nothing else
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import express from 'express';
import mongoose, { Schema } from 'mongoose';
import { CONNECTION_OPTIONS } from '../server/src/db/connection.js';

const uri = process.env['MONGODB_URI'];
const port = Number(process.env['PORT'] ?? 0);
if (!uri) {
  process.stderr.write('MONGODB_URI is required\n');
  process.exit(2);
}

const conn = await mongoose.createConnection(uri, CONNECTION_OPTIONS).asPromise();
const loose = { versionKey: false, strict: false } as const;
const Baseline = conn.model('BenchBaseline', new Schema({ _id: String }, { ...loose, collection: 'bench_baseline' }));
const Approval = conn.model('BenchApproval', new Schema({ _id: String }, { ...loose, collection: 'approvals' }));

const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});

app.post('/insert', express.json({ limit: '100kb' }), async (req, res) => {
  const body = req.body as { action?: string; summary?: string; details?: Record<string, unknown> };
  const now = new Date();
  const doc = {
    _id: `apr_${randomBytes(16).toString('hex')}`,
    action: body.action ?? '',
    summary: body.summary ?? '',
    detailsJson: JSON.stringify(body.details ?? {}),
    status: 'pending',
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
  };
  await Baseline.collection.insertOne(doc as never);
  res.status(201).json({ approvalId: doc._id, status: 'pending' });
});

app.get('/approvals/:id', async (req, res) => {
  const doc = await Approval.findById(req.params.id).lean();
  if (!doc) {
    res.status(404).json({ status: 404 });
    return;
  }
  res.status(200).json(doc);
});

app.get('/held/:id', async (req, res) => {
  const arrived = Date.now();
  const waitMs = Number(req.query['wait'] ?? 0) * 1000;
  const doc = await Approval.findById(req.params.id).lean();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs - (Date.now() - arrived))));
  res.status(doc ? 200 : 404).json(doc ?? { status: 404 });
});

const server = http.createServer(app);
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`baseline listening on ${typeof address === 'object' && address ? address.port : port}\n`);
});

const stop = () => {
  server.close();
  server.closeIdleConnections();
  void conn.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

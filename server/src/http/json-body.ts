import { TextDecoder } from 'node:util';
import express, { type Request, type RequestHandler } from 'express';
import { sha256Hex } from '../lib/ids.js';
import { AppError } from './app-error.js';

/** Largest accepted request body. */
export const JSON_LIMIT = '100kb';

const rawBodies = new WeakMap<Request, Buffer>();
const EMPTY = Buffer.alloc(0);

/** The raw request body as received (after inflation), for signatures. */
export const rawBodyOf = (req: Request) => rawBodies.get(req) ?? EMPTY;

/** SHA-256 of the raw request body (what idempotency compares). */
export const requestSha256 = (req: Request) => sha256Hex(rawBodyOf(req));

/** Body-parser error type of a body that is not valid in its charset (mapped to 400 by the error handler). */
export const INVALID_ENCODING = 'entity.encoding.invalid';

/**
 * Refuses bytes that are not valid in the body's charset. Body-parser would decode them into U+FFFD and
 * accept a payload that differs from what was sent (and from what a signature covers). Charsets
 * TextDecoder does not know are left to body-parser, which refuses them itself.
 */
function assertDecodable(buf: Buffer, charset: string) {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset || 'utf-8', { fatal: true });
  } catch {
    return;
  }
  try {
    decoder.decode(buf);
  } catch {
    throw Object.assign(new Error(`Request body is not valid ${charset.toUpperCase()}`), {
      status: 400,
      type: INVALID_ENCODING,
      charset: charset || 'utf-8',
    });
  }
}

/** POST bodies must be JSON (415 otherwise); parsed strictly, at most 100 kB after inflation. */
export function jsonBody(): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    if (!req.is('application/json')) {
      throw new AppError('unsupported-media-type', 415, 'Send the body as JSON with Content-Type: application/json');
    }
    next();
  };
  const parse = express.json({
    limit: JSON_LIMIT,
    strict: true,
    type: 'application/json',
    verify: (req, _res, buf, encoding) => {
      assertDecodable(buf, encoding);
      rawBodies.set(req as Request, buf);
    },
  });
  return [requireJson, parse];
}

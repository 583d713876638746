import type { Request, Response } from 'express';
import { MAX_WAIT_SECONDS } from '@cheqpoint/shared';
import { validationError } from './app-error.js';

/**
 * The bounded wait of a call: `?wait=<seconds>` (0–max, 25 unless given, else 400) or
 * `Prefer: wait=<seconds>` (RFC 7240; clamped to max), else the default.
 */
export function parseWait(
  req: Request,
  defaultSeconds: number,
  maxSeconds: number = MAX_WAIT_SECONDS,
): { seconds: number; isPreferred: boolean } {
  const query = req.query['wait'];
  if (query !== undefined) {
    if (typeof query !== 'string' || !/^\d{1,3}(\.\d{1,3})?$/.test(query) || Number(query) > maxSeconds) {
      throw validationError([{ path: 'wait', message: `wait must be a number of seconds from 0 to ${maxSeconds}` }]);
    }
    return { seconds: Number(query), isPreferred: false };
  }
  for (const preference of (req.get('prefer') ?? '').split(/[,;]/)) {
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(preference);
    if (match) return { seconds: Math.min(Number(match[1]), maxSeconds), isPreferred: true };
  }
  return { seconds: Math.min(defaultSeconds, maxSeconds), isPreferred: false };
}

/** `Idempotency-Key` as an sf-string ("abc") or bare (abc): 1–255 printable ASCII characters. */
export function parseIdempotencyKey(req: Request): string | null {
  const raw = req.get('idempotency-key');
  if (raw === undefined) return null;
  let key = raw.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(key);
  if (quoted) key = (quoted[1] as string).replace(/\\(["\\])/g, '$1');
  if (key.length < 1 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw validationError([
      { path: 'Idempotency-Key', message: 'Idempotency-Key must be 1–255 printable ASCII characters' },
    ]);
  }
  return key;
}

/** Marks when the request arrived (the first middleware calls it). */
export function markReceived(res: Response) {
  res.locals['receivedAt'] = Date.now();
}

/** When the request arrived (ms since the epoch): a wait is counted from here, not from when it starts. */
export function receivedAtOf(res: Response): number {
  const at: unknown = res.locals['receivedAt'];
  return typeof at === 'number' ? at : Date.now();
}

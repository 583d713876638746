import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Logger } from '../lib/logger.js';
import { AppError, notFound } from './app-error.js';
import { INVALID_ENCODING } from './json-body.js';

const JSON_LIMIT_TEXT = '100 kB';

/** Maps body-parser failures (by their `type`) to problems. */
function fromBodyParser(
  err: {
    type?: unknown;
    status?: unknown;
    charset?: unknown;
    encoding?: unknown;
    code?: unknown;
  },
  contentEncoding: string,
): AppError | null {
  // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream, …) carry no body-parser type.
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) return undecompressable(contentEncoding);
  switch (err.type) {
    case 'entity.too.large':
      return new AppError('payload-too-large', 413, `Request body is larger than the ${JSON_LIMIT_TEXT} limit`);
    case 'entity.parse.failed':
      return new AppError('malformed-json', 400, 'Request body is not valid JSON (an object is expected)');
    case INVALID_ENCODING:
      return new AppError(
        'malformed-json',
        400,
        `Request body is not valid ${String(err.charset ?? 'utf-8').toUpperCase()} (an invalid byte sequence)`,
      );
    case 'charset.unsupported':
      return new AppError('unsupported-media-type', 415, 'Unsupported charset; send UTF-8 JSON');
    case 'encoding.unsupported':
      return new AppError(
        'unsupported-media-type',
        415,
        'Unsupported Content-Encoding; send identity, gzip or deflate',
      );
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new AppError('validation-error', 400, 'Request body could not be read');
    default:
      return null;
  }
}

/** A body that its Content-Encoding says is compressed, but is not valid data of that encoding. */
function undecompressable(contentEncoding: string): AppError {
  const message = `the body is not valid ${contentEncoding} data (corrupt or truncated)`;
  return new AppError(
    'bad-request',
    400,
    `Request body could not be decompressed: Content-Encoding is ${contentEncoding}, but ${message}`,
    { errors: [{ path: 'Content-Encoding', message }] },
  );
}

export function sendProblem(res: Response, error: AppError) {
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) res.setHeader(name, value);
  res.status(error.status).type('application/problem+json').send(JSON.stringify(error.toProblem()));
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound('Resource'));

/** The one error middleware: problem+json, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (isDatabaseUnavailable(err)) {
      error = new AppError('database-unavailable', 503, 'The database cannot be reached; retry shortly', {
        headers: { 'Retry-After': '5' },
      });
      logger.warn('database unavailable', {
        requestId: req.get('x-request-id'),
        error: String((err as Error).message),
      });
    } else {
      const contentEncoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase().slice(0, 40);
      const parsed = fromBodyParser(err as object, contentEncoding);
      const status = (err as { status?: unknown }).status;
      if (parsed) error = parsed;
      else if (typeof status === 'number' && status >= 400 && status < 500) {
        error = new AppError('validation-error', status, 'The request could not be understood');
      } else {
        logger.error('unhandled error', {
          method: req.method,
          path: req.path,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
        error = new AppError('internal-error', 500, 'An unexpected error occurred; it has been logged');
      }
    }
    sendProblem(res, error);
  };
}

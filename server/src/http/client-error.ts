import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError } from './app-error.js';

/** Node's own refusals (before Express sees a request), as the problems they become. */
function problemOf(code: string | undefined): AppError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(
        'request-timeout',
        408,
        'The request (headers or body) did not arrive in time; the connection is closed',
      );
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('headers-too-large', 431, 'The request headers are too large; the connection is closed');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError('payload-too-large', 413, 'The chunk extensions are too large; the connection is closed');
    default:
      return new AppError(
        'bad-request',
        400,
        'The request is not valid HTTP/1.1 (request line, headers or body framing); the connection is closed',
      );
  }
}

/** Sockets already answered: a client that keeps sending after the error makes Node report it again. */
const answered = new WeakSet<Duplex>();

/**
 * The http server's `clientError` listener: what Node would answer itself (400 for a bad request line,
 * header or chunked framing, 408 when requestTimeout or headersTimeout expire, 431 for headers over the
 * limit), but as problem+json like every other error, with `connection: close`. As Node does, it answers
 * only while nothing of a response has been written to the socket (else the peer would read a corrupt
 * stream), and closes the connection either way.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (answered.has(socket)) return;
  answered.add(socket);
  // `_httpMessage` is Node's in-flight ServerResponse on this socket (what its default handler checks).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const problem = problemOf(err.code);
  const body = JSON.stringify(problem.toProblem());
  // end(), not destroy(): closing with unread input would send a reset, and the client could lose the
  // answer. The client sees our FIN and closes; one that does not is cut off shortly after.
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      'content-type: application/problem+json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'cache-control: no-store\r\n' +
      'connection: close\r\n\r\n' +
      body,
  );
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), 2_000).unref();
}

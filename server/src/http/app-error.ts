import { problemTypeUri, type FieldError, type Problem, type ProblemType } from '@cheqpoint/shared';

const TITLES: Record<ProblemType, string> = {
  'validation-error': 'Invalid request',
  'malformed-json': 'Malformed JSON',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'not-found': 'Not found',
  'already-decided': 'Already decided',
  'idempotency-key-in-use': 'Idempotency key in use',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'idempotency-key-reused': 'Idempotency key reused',
  unprocessable: 'Unprocessable request',
  'too-many-requests': 'Too many requests',
  'internal-error': 'Internal error',
  'database-unavailable': 'Database unavailable',
  'shutting-down': 'Shutting down',
  'bad-request': 'Bad request',
  'request-timeout': 'Request timeout',
  'headers-too-large': 'Request header fields too large',
  'zendesk-unavailable': 'Zendesk unavailable',
  'callback-in-flight': 'Callback attempt in flight',
  'execution-not-failed': 'Execution not failed',
};

/** The one error type the domain throws; the error handler turns it into problem+json. */
export class AppError extends Error {
  constructor(
    readonly type: ProblemType,
    readonly status: number,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; body?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  toProblem(): Problem {
    return {
      type: problemTypeUri(this.type),
      title: TITLES[this.type],
      status: this.status,
      detail: this.detail,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      ...this.extra.body,
    };
  }
}

export const validationError = (errors: FieldError[], detail?: string) =>
  new AppError('validation-error', 400, detail ?? errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; '), {
    errors,
  });

export const notFound = (what = 'Approval') => new AppError('not-found', 404, `${what} not found`);

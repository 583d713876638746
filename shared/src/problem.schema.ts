import { z } from 'zod';

/** Problem types the gateway returns (RFC 9457), as `urn:cheqpoint:problem:<slug>`. */
export const PROBLEM_TYPES = [
  'validation-error',
  'malformed-json',
  'unauthorized',
  'forbidden',
  'not-found',
  'already-decided',
  'idempotency-key-in-use',
  'payload-too-large',
  'unsupported-media-type',
  'idempotency-key-reused',
  'unprocessable',
  'too-many-requests',
  'internal-error',
  'database-unavailable',
  'shutting-down',
  'bad-request',
  'request-timeout',
  'headers-too-large',
  'zendesk-unavailable',
  'callback-in-flight',
  'execution-not-failed',
] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

export const problemTypeUri = (slug: ProblemType) => `urn:cheqpoint:problem:${slug}`;

export const FieldErrorSchema = z.object({
  path: z.string().describe('Dotted path of the field, e.g. details.ticket_id'),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldErrorSchema>;

/** `application/problem+json` body. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(FieldErrorSchema).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

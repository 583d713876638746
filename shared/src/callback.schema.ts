import { z } from 'zod';
import { ExecutionStateSchema } from './outcome.schema.js';
import { APPROVAL_ID_PATTERN, DecidedBySchema } from './approval.schema.js';

/** Event type of every callback. */
export const CALLBACK_EVENT_TYPE = 'approval.decided';

/**
 * The JSON body Cheqpoint POSTs to an approval's `callbackUrl` once it is decided (signed per Standard
 * Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). The contract receivers code
 * against: the gateway builds it with this type, the OpenAPI document publishes it under `webhooks`.
 * Unknown fields are stripped when parsing, so a receiver keeps working when a field is added.
 */
export const CallbackBodySchema = z.object({
  type: z.literal(CALLBACK_EVENT_TYPE),
  approvalId: z.string().regex(APPROVAL_ID_PATTERN),
  status: z.enum(['approved', 'rejected']),
  /** The reviewer's edited `details` (what to act on instead), or null when unchanged. */
  modifiedDetails: z.record(z.string(), z.unknown()).nullable(),
  decisionNote: z.string().nullable(),
  decidedBy: DecidedBySchema,
  decidedAt: z.iso.datetime(),
  action: z.string(),
  details: z.record(z.string(), z.unknown()),
  ticketId: z.string().nullable(),
  /**
   * What Cheqpoint does about the action itself (README "Late decisions"), as it stood when this
   * attempt was sent: null when it executes nothing. The first attempt goes at the decision, usually
   * with `pending`; a redelivery says it as it is then (GET /api/approvals/{id} always does).
   */
  execution: ExecutionStateSchema.nullable().optional(),
});
export type CallbackBody = z.output<typeof CallbackBodySchema>;

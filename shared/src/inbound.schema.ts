import { z } from 'zod';
import { PRIORITIES, RISK_LEVELS } from './approval.schema.js';
import { JsonObjectSchema, text } from './json.schema.js';

/** Longest wait a caller may ask for, in seconds (Zendesk AI agents allow 30 s per call). */
export const MAX_WAIT_SECONDS = 25;

const lowercaseEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(values));

/** Body of `POST /api/webhooks/inbound`, as a Zendesk AI agent flow sends it. */
export const InboundRequestSchema = z
  .strictObject({
    action: text(200).pipe(z.string().min(1)).describe('What the AI agent wants to do, e.g. cancel_subscription'),
    summary: text(2000).pipe(z.string().min(1)).describe('One line a person can read'),
    details: JsonObjectSchema.describe('Free-form; details.ticket_id links it to a Zendesk ticket'),
    justification: text(5000).optional(),
    callbackUrl: z.string().max(2048).optional().describe('https URL that receives the signed decision'),
    webhookUrl: z.string().max(2048).optional().describe('Alias of callbackUrl'),
    riskLevel: lowercaseEnum(RISK_LEVELS).optional(),
    priority: lowercaseEnum(PRIORITIES).optional(),
    agentName: text(200).optional(),
    metadata: JsonObjectSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.callbackUrl !== undefined && body.webhookUrl !== undefined && body.callbackUrl !== body.webhookUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhookUrl'],
        message: 'webhookUrl is an alias of callbackUrl; send one of them',
      });
    }
    const ticket = body.details['ticket_id'] ?? body.details['ticketId'];
    if (ticket !== undefined && ticket !== null) {
      const ok =
        (typeof ticket === 'string' && ticket.trim().length > 0 && ticket.length <= 100) ||
        (typeof ticket === 'number' && Number.isSafeInteger(ticket) && ticket >= 0);
      if (!ok) {
        const key = body.details['ticket_id'] !== undefined ? 'ticket_id' : 'ticketId';
        ctx.addIssue({
          code: 'custom',
          path: ['details', key],
          message: 'Ticket id must be a non-empty string or a non-negative integer',
        });
      }
    }
  });
export type InboundRequest = z.input<typeof InboundRequestSchema>;
export type ParsedInboundRequest = z.output<typeof InboundRequestSchema>;

/** The ticket an inbound request belongs to: `details.ticket_id`, or `details.ticketId`. */
export function ticketIdOf(details: Record<string, unknown>): string | null {
  const ticket = details['ticket_id'] ?? details['ticketId'];
  if (typeof ticket === 'string') return ticket.trim();
  if (typeof ticket === 'number') return String(ticket);
  return null;
}

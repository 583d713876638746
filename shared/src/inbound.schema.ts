import { z } from 'zod';
import { PRIORITIES, RISK_LEVELS } from './approval.schema.js';
import { JsonObjectSchema, text } from './json.schema.js';

/** Longest wait a caller may ask for, in seconds (Zendesk AI agents allow 30 s per call). */
export const MAX_WAIT_SECONDS = 25;

const lowercaseEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(values));

/**
 * A ticket id as text, at intake (`details.ticket_id`) and in the list filter (`?ticketId=`): the same
 * rule on both sides, 1–100 characters (stored trimmed), well-formed Unicode, no NUL.
 */
export const TicketIdSchema = text(100).refine((s) => s.trim().length > 0, { message: 'Ticket id is empty' });

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
    const key =
      body.details['ticket_id'] !== undefined && body.details['ticket_id'] !== null ? 'ticket_id' : 'ticketId';
    const ticket = body.details[key];
    if (ticket === undefined || ticket === null) return;
    if (typeof ticket === 'number' && Number.isSafeInteger(ticket) && ticket >= 0) return;
    // A string ticket id obeys the rule of the list's `ticketId` filter, so every stored id can be listed
    // by and stored exactly as sent (a NUL, or a lone surrogate that storage would turn into U+FFFD, is refused).
    const parsed = typeof ticket === 'string' ? TicketIdSchema.safeParse(ticket) : null;
    if (parsed?.success) return;
    ctx.addIssue({
      code: 'custom',
      path: ['details', key],
      message: parsed?.error.issues[0]?.message.startsWith('Text contains')
        ? `Ticket id ${parsed.error.issues[0].message.slice('Text '.length)}`
        : 'Ticket id must be a non-empty string (at most 100 characters) or a non-negative integer',
    });
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

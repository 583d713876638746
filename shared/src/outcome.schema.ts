import { z } from 'zod';

/**
 * What an approval says about the action Cheqpoint carries out itself once decided (README "Late
 * decisions"): the plan fixed at intake, the execution and the public reply. The account's `actions.json`
 * that produces them is actions.schema.ts; these are apart so the Zendesk app, which only reads approvals,
 * does not bundle the templates and the file's schemas.
 */

/**
 * When Cheqpoint acts: `late` (default) only when no requester call was answered with the decision
 * (the AI agent never learned it, so it will not act itself); `always` on every approval (the flow then
 * never calls the action itself).
 */
export const ACTION_WHEN = ['late', 'always'] as const;
export type ActionWhen = (typeof ACTION_WHEN)[number];

export const EXECUTE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type ExecuteMethod = (typeof EXECUTE_METHODS)[number];

/**
 * What will happen once the approval is decided, as fixed at intake from the account's actions (the
 * sidebar says it before deciding: "Approving will cancel sub_5521 in Billing and reply to the
 * customer"). Names and hosts only: never a template, a header or a secret. Null on the approval when
 * its action has no configuration.
 */
export const OutcomePlanSchema = z.object({
  when: z.enum(ACTION_WHEN),
  /** The request made on approval; null when the action only replies. */
  execute: z
    .object({
      method: z.enum(EXECUTE_METHODS),
      /** The URL's host (and port when not the scheme's default). */
      host: z.string(),
      /** The configured display name, else the host. */
      name: z.string(),
    })
    .nullable(),
  /** Whether a public reply is configured for each outcome (added only with a Zendesk connection). */
  reply: z.object({ approved: z.boolean(), rejected: z.boolean() }),
});
export type OutcomePlan = z.infer<typeof OutcomePlanSchema>;

/**
 * The execution's state: `pending` (due at `nextAttemptAt`, or in flight), `succeeded` (2xx),
 * `failed` (a 4xx other than 429, retries used up, a refused address, or a template without a value:
 * `lastError` says which; `POST /api/agent/approvals/{id}/execution/retry`), `skipped` (`when: late`
 * and a requester call was answered with the decision first: the AI agent acts itself).
 */
export const EXECUTION_STATUSES = ['pending', 'succeeded', 'failed', 'skipped'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** The approval's execution; null when nothing is executed (no `execute`, a rejection, not decided). */
export const ExecutionStateSchema = z.object({
  status: z.enum(EXECUTION_STATUSES),
  method: z.enum(EXECUTE_METHODS),
  host: z.string(),
  name: z.string(),
  /** Requests sent so far (a retry starts again from 0). */
  attempts: z.number().int().nonnegative(),
  /** HTTP status of the last attempt; null when it got none. */
  lastStatus: z.number().int().nullable(),
  /** Why the last attempt failed (never a secret or a rendered header). */
  lastError: z.string().nullable(),
  /** When the last attempt ended, or when it was skipped. */
  at: z.iso.datetime().nullable(),
  /** When the next attempt is due; null unless `pending`. */
  nextAttemptAt: z.iso.datetime().nullable(),
});
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;

/**
 * The public reply on the ticket: `pending` (waiting for the execution, or being sent to Zendesk),
 * `added`, `failed` (Zendesk refused it, or retries used up), `skipped` (no Zendesk connection, or no
 * Zendesk ticket). Null when no reply is due: none configured for the outcome, an in-time decision
 * with `when: late`, or an execution that was skipped.
 */
export const CUSTOMER_REPLY_STATUSES = ['pending', 'added', 'failed', 'skipped'] as const;
export type CustomerReplyStatus = (typeof CUSTOMER_REPLY_STATUSES)[number];
export const CustomerReplyStateSchema = z.object({
  status: z.enum(CUSTOMER_REPLY_STATUSES),
  at: z.iso.datetime().nullable(),
});
export type CustomerReplyState = z.infer<typeof CustomerReplyStateSchema>;

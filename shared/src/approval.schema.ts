import { z } from 'zod';
import { CustomerReplyStateSchema, ExecutionStateSchema, OutcomePlanSchema } from './outcome.schema.js';
import { JsonObjectSchema, text } from './json.schema.js';
import { EditableFieldsSchema, PolicyVerdictSchema } from './policy.schema.js';
import { CLIENT_DECISION_CHANNELS, DECISION_CHANNELS } from './slack.schema.js';

/** The three statuses a Zendesk flow branches on. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export const PRIORITIES = ['low', 'normal', 'medium', 'high', 'urgent'] as const;

/** Public approval ids: `apr_` and 32 hex digits. */
export const APPROVAL_ID_PATTERN = /^apr_[0-9a-f]{32}$/;

/** Who or what settled an approval. */
export const DecidedBySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('agent'),
    id: z.string(),
    name: z.string(),
    email: z.string().nullable().optional(),
    /**
     * True when `id` comes from a Zendesk-signed identity (signed URLs, see README "Verified approvers");
     * false when it is only what the browser sent. Absent in decisions stored before it existed: false.
     */
    verified: z.boolean().default(false),
    /**
     * What gave them the authority the approval's rule asked for (`policy.deciders`): `role:admin` or
     * `group:<name>`, from what Zendesk said of the verified person. Absent when any agent may decide.
     */
    authority: z.string().optional(),
    /** Where they decided: `sidebar`, `queue` (the Zendesk app), `slack` or `api`; absent in older decisions. */
    channel: z.enum(DECISION_CHANNELS).optional(),
    /** The Slack user who clicked, for a decision made in Slack (`id` is then their Zendesk id when mapped). */
    slackUserId: z.string().optional(),
  }),
  z.object({ type: z.literal('policy'), rule: z.string() }),
  z.object({ type: z.literal('expiry') }),
]);
export type DecidedBy = z.infer<typeof DecidedBySchema>;

/**
 * Callback delivery states: `pending` (waiting for the decision, or due at `nextAttemptAt`), `delivered`
 * (the receiver answered 2xx), `dead` (every retry failed), `gone` (the receiver answered 410),
 * `blocked` (the callback address is not allowed, e.g. it resolved to a private address).
 */
export const CALLBACK_STATUSES = ['pending', 'delivered', 'dead', 'gone', 'blocked'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** Delivery state of an approval's callback; null on the approval when it has no callbackUrl. */
export const CallbackStateSchema = z.object({
  status: z.enum(CALLBACK_STATUSES),
  /** Attempts made so far (a redelivery starts again from 0). */
  attempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  /** When the next attempt is due; null unless `pending` after the decision. */
  nextAttemptAt: z.iso.datetime().nullable(),
});
export type CallbackState = z.infer<typeof CallbackStateSchema>;

/**
 * The policy's verdict at intake, as recorded on the approval: the deciding rule, dry-run rules that
 * would have decided, and the bounds on what a person may modify (null: no bounds).
 */
export const ApprovalPolicySchema = PolicyVerdictSchema.extend({ editableFields: EditableFieldsSchema.nullable() });
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** One agent's approval of an approval that needs several (a quorum). */
export const QuorumVoteSchema = z.object({
  agent: z.object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable().optional(),
    /** As in `decidedBy`: whether `id` came from a Zendesk-signed identity. */
    verified: z.boolean(),
    /** As in `decidedBy`: what gave them the authority the rule asked for. */
    authority: z.string().optional(),
    /** As in `decidedBy`: where they voted, and the Slack user for a vote made in Slack. */
    channel: z.enum(DECISION_CHANNELS).optional(),
    slackUserId: z.string().optional(),
  }),
  at: z.iso.datetime(),
  note: z.string().nullable(),
});
export type QuorumVote = z.infer<typeof QuorumVoteSchema>;

/**
 * A quorum: `required` distinct agents must approve (any one rejection ends it); `approvals` are those
 * counted so far, in the order they were counted. Null on the approval when one approver is enough.
 */
export const QuorumSchema = z.object({
  required: z.number().int().min(2),
  approvals: z.array(QuorumVoteSchema),
});
export type Quorum = z.infer<typeof QuorumSchema>;

/** The approval as every endpoint returns it. */
export const ApprovalSchema = z.object({
  approvalId: z.string().regex(APPROVAL_ID_PATTERN),
  status: z.enum(APPROVAL_STATUSES),
  modifiedDetails: JsonObjectSchema.nullable(),
  decisionNote: z.string().nullable(),
  decidedBy: DecidedBySchema.nullable(),
  action: z.string(),
  summary: z.string(),
  details: JsonObjectSchema,
  justification: z.string().nullable(),
  ticketId: z.string().nullable(),
  riskLevel: z.enum(RISK_LEVELS).nullable(),
  priority: z.enum(PRIORITIES).nullable(),
  agentName: z.string().nullable(),
  metadata: JsonObjectSchema.nullable(),
  createdAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime(),
  callback: CallbackStateSchema.nullable(),
  policy: ApprovalPolicySchema.nullable(),
  quorum: QuorumSchema.nullable(),
  /**
   * When the deciding rule's escalation applies (`policy.escalation`: wider deciders, ticket priority, a
   * group told), if nobody decides before; null when the rule has none.
   */
  escalatesAt: z.iso.datetime().nullable(),
  /**
   * What Cheqpoint does once this approval is decided (the account's `actions.json` for its action, as
   * it was at intake): the request it makes on approval and whether it replies to the customer. Null
   * when the action has no configuration. Names and hosts only, never headers or secrets.
   */
  outcomePlan: OutcomePlanSchema.nullable().default(null),
  /** The request Cheqpoint made (or makes) to carry out the approved action; null when none. */
  execution: ExecutionStateSchema.nullable().default(null),
  /** The public reply Cheqpoint adds to the ticket; null when none is due. */
  customerReply: CustomerReplyStateSchema.nullable().default(null),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** Most seconds a list call is held (`wait`) for a change. */
export const MAX_LIST_WAIT_SECONDS = 20;

export const ApprovalListSchema = z.object({
  approvals: z.array(ApprovalSchema),
  /** Opaque: the change-feed position this list reflects; send it back as `since` to hold for the next change. */
  cursor: z.string(),
});
export type ApprovalList = z.infer<typeof ApprovalListSchema>;

/** Decisions an agent can take. */
export const DECISIONS = ['approve', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];

/** The status each decision leaves an approval in (a new decision type must say which, or not compile). */
export const STATUS_OF_DECISION: Record<Decision, Exclude<ApprovalStatus, 'pending'>> = {
  approve: 'approved',
  reject: 'rejected',
};

/** Body of `POST /api/agent/approvals/{approvalId}/decision`. */
export const DecisionRequestSchema = z
  .strictObject({
    decision: z.enum(DECISIONS),
    note: text(2000).optional(),
    modifiedDetails: JsonObjectSchema.optional(),
    agent: z.strictObject({
      id: z.union([z.string().min(1).max(100), z.number().int().nonnegative()]).transform(String),
      name: text(200).pipe(z.string().min(1)),
      email: text(320).optional(),
    }),
    /** Which part of the Zendesk app decided (for the time-to-decision metrics); absent: `api`. */
    channel: z.enum(CLIENT_DECISION_CHANNELS).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.decision === 'reject' && !body.note?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'A note is required to reject' });
    }
    if (body.decision === 'reject' && body.modifiedDetails !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['modifiedDetails'],
        message: 'modifiedDetails is only allowed with approve',
      });
    }
  });
export type DecisionRequest = z.input<typeof DecisionRequestSchema>;
export type ParsedDecisionRequest = z.output<typeof DecisionRequestSchema>;

/** Query of `GET /api/agent/approvals`. */
export const ApprovalListQuerySchema = z.strictObject({
  ticketId: text(100).pipe(z.string().min(1)).optional(),
  status: z.enum(APPROVAL_STATUSES).optional(),
  action: text(200).pipe(z.string().min(1)).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `cursor` of an earlier list; with `wait`, the call is held until something changed after it. */
  since: z.string().optional(),
  /** Seconds to hold (0–20), parsed like the approval wait (also `Prefer: wait=N`). */
  wait: z.unknown().optional(),
});
export type ApprovalListQuery = z.output<typeof ApprovalListQuerySchema>;

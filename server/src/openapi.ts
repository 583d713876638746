import { z } from 'zod';
import {
  ApprovalListSchema,
  ApprovalSchema,
  CALLBACK_EVENT_TYPE,
  CallbackBodySchema,
  DecisionRequestSchema,
  ExecutionNotFailedProblemSchema,
  InboundRequestSchema,
  InsightsSchema,
  MAX_INSIGHT_DAYS,
  MAX_LIST_WAIT_SECONDS,
  MAX_WAIT_SECONDS,
  ProblemSchema,
  SuggestionsSchema,
} from '@cheqpoint/shared';

const toSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const approval = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Approval' } } },
});
const waitParameter = {
  name: 'wait',
  in: 'query',
  required: false,
  description: `Seconds to hold the call until a decision (0–${MAX_WAIT_SECONDS}); also accepted as "Prefer: wait=N"`,
  schema: { type: 'number', minimum: 0, maximum: MAX_WAIT_SECONDS },
};
const insightDaysParameter = {
  name: 'days',
  in: 'query',
  required: false,
  description: `The last N UTC days, today included (1–${MAX_INSIGHT_DAYS}, default 30)`,
  schema: { type: 'integer', minimum: 1, maximum: MAX_INSIGHT_DAYS, default: 30 },
};
const idParameter = {
  name: 'approvalId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^apr_[0-9a-f]{32}$' },
};
const idempotencyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};
const common = {
  '400': problem('Invalid input; `errors[]` names each field'),
  '401': problem('Missing, invalid or revoked x-api-key'),
  '413': problem('Body over 100 kB'),
  '415': problem('Body is not application/json'),
  '429': problem('Too many requests with this key, or too many invalid keys from this address; see Retry-After'),
  '503': problem('Database unavailable; see Retry-After'),
};

const signatureHeader = (name: string, description: string) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
});

/**
 * The callback Cheqpoint POSTs to an approval's callbackUrl once it is decided, as an OpenAPI 3.1
 * webhook: what a receiver gets (headers, body) and what its answer means.
 */
const callbackWebhook = {
  post: {
    summary: 'An approval was decided (by an agent, a policy or expiry): POSTed to its callbackUrl',
    description:
      'Signed per Standard Webhooks (https://www.standardwebhooks.com/) with the account signing secret: verify the signature over the raw body before trusting it, and dedupe on webhook-id. Delivery is at least once; retries follow the schedule in the README "Callbacks".',
    security: [],
    parameters: [
      signatureHeader('webhook-id', '`msg_<approvalId>`: the same on every retry and redelivery; dedupe on it'),
      signatureHeader('webhook-timestamp', 'Unix seconds of this attempt'),
      signatureHeader(
        'webhook-signature',
        '`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`; two, space-separated, while a rotated secret overlaps',
      ),
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CallbackBody' } } },
    },
    responses: {
      '2XX': { description: 'Delivered: no further attempt' },
      '410': { description: 'Gone: the callback is given up at once (`callback.status: gone`)' },
      '429': { description: 'Retried, not before its Retry-After (at most 1 h); so are 502, 503 and 504' },
      default: { description: 'Anything else (3xx included, never followed), a timeout or a reset: retried' },
    },
  },
};

/** OpenAPI 3.1 description of the gateway, generated from the shared zod contract. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Cheqpoint gateway', version: '0.1.0', description: 'Human approval gate for AI agent actions.' },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      schemas: {
        InboundRequest: toSchema(InboundRequestSchema, 'input'),
        Approval: toSchema(ApprovalSchema, 'output'),
        ApprovalList: toSchema(ApprovalListSchema, 'output'),
        DecisionRequest: toSchema(DecisionRequestSchema, 'input'),
        Problem: toSchema(ProblemSchema, 'output'),
        ExecutionNotFailedProblem: toSchema(ExecutionNotFailedProblemSchema, 'output'),
        CallbackBody: toSchema(CallbackBodySchema, 'output'),
        Insights: toSchema(InsightsSchema, 'output'),
        Suggestions: toSchema(SuggestionsSchema, 'output'),
      },
    },
    webhooks: { [CALLBACK_EVENT_TYPE]: callbackWebhook },
    security: [{ apiKey: [] }],
    paths: {
      '/api/webhooks/inbound': {
        post: {
          summary: 'Ask for a human decision (flow key)',
          parameters: [waitParameter, idempotencyParameter],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/InboundRequest' } } },
          },
          responses: {
            '200': approval('Decided within the wait'),
            '202': approval('Still pending; poll the Location header'),
            ...common,
            '403': problem('Not a flow key'),
            '409': problem('The same keyed request is still being processed'),
            '422': problem('Idempotency-Key reused with another body'),
          },
        },
      },
      '/api/approvals/{approvalId}': {
        get: {
          summary: 'Read an approval (flow or agent key); long-poll with ?wait=',
          parameters: [idParameter, waitParameter],
          responses: { '200': approval('The approval'), ...common, '404': problem('Unknown approval') },
        },
      },
      '/api/approvals/{approvalId}/events': {
        get: {
          summary: 'The audit trail of an approval and its hash-chain check (flow or agent key)',
          parameters: [idParameter],
          responses: {
            '200': { description: '`{ approvalId, events, chain: { ok, count, brokenAt?, reason? } }`' },
            ...common,
            '404': problem('Unknown approval'),
          },
        },
      },
      '/api/agent/approvals/{approvalId}/redeliver': {
        post: {
          summary: 'Send a decided approval’s callback again, same webhook-id (agent key)',
          parameters: [idParameter],
          responses: {
            '202': approval('Queued; `callback` shows the delivery state'),
            ...common,
            '403': problem('Not an agent key'),
            '404': problem('Unknown approval'),
            '409': problem(
              'An attempt of this callback is being sent right now (`callback-in-flight`, `reason: attempt-in-flight`, `attempt`): nothing is queued; retry once it ended (Retry-After)',
            ),
            '422': problem('Not decided yet, or no callbackUrl'),
          },
        },
      },
      '/api/agent/approvals/{approvalId}/execution/retry': {
        post: {
          summary:
            'Try a failed execution again (README "Late decisions"): fresh schedule, same Idempotency-Key (agent key)',
          parameters: [idParameter],
          responses: {
            '202': approval('Queued; `execution` shows it pending'),
            ...common,
            '403': problem('Not an agent key'),
            '404': problem('Unknown approval'),
            '409': {
              description:
                'The execution is not failed (`execution-not-failed`, `executionState`: pending, succeeded, skipped or none); `approval` is the approval as it is now, as in the 202',
              content: {
                'application/problem+json': { schema: { $ref: '#/components/schemas/ExecutionNotFailedProblem' } },
              },
            },
          },
        },
      },
      '/api/agent/approvals': {
        get: {
          summary: 'List approvals (agent key): of a ticket, or of the account by status; long-poll with ?since=&wait=',
          parameters: [
            { name: 'ticketId', in: 'query', schema: { type: 'string' } },
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['pending', 'approved', 'rejected'] } },
            { name: 'action', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
            {
              name: 'since',
              in: 'query',
              required: false,
              description:
                'The `cursor` of an earlier list: with `wait`, answer once something in scope changed after it',
              schema: { type: 'string' },
            },
            {
              name: 'wait',
              in: 'query',
              required: false,
              description: `With \`since\`: seconds to hold the call until a change (0–${MAX_LIST_WAIT_SECONDS}); also "Prefer: wait=N"`,
              schema: { type: 'number', minimum: 0, maximum: MAX_LIST_WAIT_SECONDS },
            },
          ],
          responses: {
            '200': {
              description: 'Approvals',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ApprovalList' } } },
            },
            ...common,
            '403': problem('Not an agent key'),
          },
        },
      },
      '/api/agent/insights': {
        get: {
          summary:
            'What people decide, how fast, and how much a rule or the expiry decides: per action and in total, per day and per agent (agent key)',
          description:
            'Counted by the UTC day each request came in. Time to decision is people’s; p50 and p90 are interpolated inside the fixed histogram buckets returned with them.',
          parameters: [insightDaysParameter],
          responses: {
            '200': {
              description: 'The period’s insights',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Insights' } } },
            },
            ...common,
            '403': problem('Not an agent key'),
          },
        },
      },
      '/api/agent/insights/suggestions': {
        get: {
          summary:
            'Rules people’s decisions of the period make safe, each backtested over every stored request (agent key); nothing is applied',
          description:
            'A slice (an action, optionally up to a bound on a numeric detail) people approved unchanged at least 30 times with no change and no rejection, or always rejected. `policy` is the account’s policy with the suggested rules first: the file `policy try --file` and `policy set --file` take.',
          parameters: [insightDaysParameter],
          responses: {
            '200': {
              description: 'Suggested rules and the policy with them',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Suggestions' } } },
            },
            ...common,
            '403': problem('Not an agent key'),
          },
        },
      },
      '/api/agent/approvals/{approvalId}/decision': {
        post: {
          summary: 'Approve or reject (agent key); the first decision wins',
          parameters: [
            idParameter,
            idempotencyParameter,
            {
              name: 'x-cheqpoint-session',
              in: 'header',
              required: false,
              description:
                'The Zendesk-verified session the app page carries (signed URLs); required on accounts with verified approvers (README "Verified approvers")',
              schema: { type: 'string' },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/DecisionRequest' } } },
          },
          responses: {
            '200': approval('Decided'),
            ...common,
            '401': problem(
              'Missing, invalid or revoked x-api-key; or, with verified approvers, no valid x-cheqpoint-session',
            ),
            '403': problem(
              'Not an agent key; the claimed agent differs from the Zendesk-verified user; or the approval\'s rule names deciders (`policy.deciders`) and this person is not one (`reason: "lacks-authority"`) or cannot be checked (`reason: "authority-unverifiable"`: no verified approvers or no Zendesk connection); `requirement` holds the deciders',
            ),
            '404': problem('Unknown approval'),
            '409': problem('Already decided; `approval` holds the current state'),
            '503': problem(
              "Zendesk did not answer the lookup of the decider's role and groups; retry after Retry-After",
            ),
          },
        },
      },
    },
  };
}

import { MAX_WAIT_SECONDS, type Policy } from '@cheqpoint/shared';

/** The Zendesk products that call Cheqpoint, each with its own screens and time limit. */
export const SETUP_PRODUCTS = ['advanced', 'messaging', 'webhook'] as const;
export type SetupProduct = (typeof SETUP_PRODUCTS)[number];

/** What an admin types into Zendesk for one account and product; never a key (it says which one to paste). */
export type SetupGuide = {
  accountId: string;
  product: SetupProduct;
  productName: string;
  /** How long Zendesk waits for the answer (documented by Zendesk; the webhook figure is a third-party report). */
  zendeskTimeoutSeconds: number;
  /** The `?wait=` of the URL: how long the gateway holds the call for a decision before it answers `pending`. */
  waitSeconds: number;
  request: {
    method: 'POST';
    url: string;
    contentType: 'application/json';
    auth: {
      kind: 'api-key';
      header: 'x-api-key';
      /** Which key to paste and where it was shown (the key itself is never stored in clear, nor printed). */
      value: string;
      /** The account's flow keys still in use, by id and last four characters (from `account list`). */
      flowKeys: { keyId: string; last4: string }[];
    };
  };
  /** Where it goes in Zendesk, step by step. */
  steps: string[];
  /** One body per action of the account's policy (an example when the policy names none). */
  bodies: { action: string; rule: string | null; body: Record<string, unknown> }[];
  /** Response fields to save as the conversation's variables (none for webhooks: nothing reads the answer). */
  responseFields: { field: string; meaning: string }[];
  branches: { when: string; then: string; customerHears: string | null }[];
  lateDecision: string;
  /** What could not be tried against a real Zendesk from here. */
  unverified: string[];
};

/** What the guide needs to know of the account. */
export type GuideAccount = {
  accountId: string;
  defaultWaitSeconds: number;
  flowKeys: { keyId: string; last4: string }[];
  policy: Policy | null;
  /** Inbound calls must be signed by a Zendesk webhook (`account set-zendesk-secret`). */
  requiresWebhookSignature: boolean;
};

type ProductFacts = {
  name: string;
  zendeskTimeoutSeconds: number;
  /** The wait to use: well under Zendesk's limit, leaving room for the network and the database. */
  waitSeconds: (account: GuideAccount) => number;
  /** How a field of the conversation (or ticket) is written in a body. */
  placeholder: (field: string) => string;
  ticketPlaceholder: string;
  steps: (guide: Pick<SetupGuide, 'request' | 'waitSeconds'>, host: string) => string[];
  /** The branch taken when no answer comes in time, or an error status; null: nothing reads the answer. */
  failure: string | null;
  /** Whether Zendesk signs these calls (X-Zendesk-Webhook-Signature): only webhooks do. */
  isSigned: boolean;
  unverified: string[];
};

const CONNECTION_STEP = (host: string) =>
  `Admin Center → Apps and integrations → Connections → Connections → Create connection: authentication type API key, header name x-api-key, value the flow key, allowed domain ${host}`;

const PRODUCTS: Record<SetupProduct, ProductFacts> = {
  advanced: {
    name: 'Zendesk AI agents – Advanced (API integration / custom action)',
    zendeskTimeoutSeconds: 30,
    waitSeconds: () => 20,
    placeholder: (field) => `{{${field}}}`,
    ticketPlaceholder: '{{ticket_id}}',
    steps: ({ request }, host) => [
      CONNECTION_STEP(host),
      'In AI agents – Advanced, create the integration (a custom action; the Integration Builder is legacy) that the dialogue calls before the risky action; authentication: the connection above',
      `Request: method ${request.method}, URL ${request.url}, body (JSON) below with the conversation's parameters`,
      'Map the response fields below to conversation parameters',
      'In the dialogue, branch on the status parameter (below), and on the integration failing (timeout or an error status)',
    ],
    failure: 'the integration failed (no answer within 30 s, or an error status such as 401 for a wrong key)',
    isSigned: false,
    unverified: [
      'How AI agents – Advanced writes conversation parameters in a body ({{name}} here) and names its failure branch',
    ],
  },
  messaging: {
    name: 'AI agents for messaging (legacy): Make API call step',
    zendeskTimeoutSeconds: 10,
    waitSeconds: (account) => Math.min(8, account.defaultWaitSeconds),
    placeholder: (field) => `{{${field}}}`,
    ticketPlaceholder: '{{ticket_id}}',
    steps: ({ request }, host) => [
      CONNECTION_STEP(host),
      'Admin Center → AI → AI agents → AI agents → Manage AI agents for messaging → the AI agent → Answers → the answer → in bot builder, Add step → Make API call',
      `API details: request method ${request.method}, endpoint URL ${request.url}, authentication: the connection above (not a plain x-api-key header: Zendesk refuses it), body below`,
      'Save variables from the API response: the response fields below',
      'The step has a success and a failure branch: on success, branch on the status variable (below); the failure branch is taken on a timeout (10 s) or an error status',
    ],
    failure: 'the failure branch (no answer within 10 s, or an error status such as 401 for a wrong key)',
    isSigned: false,
    unverified: ['Whether the success branch takes a 202 (pending) like a 200'],
  },
  webhook: {
    name: 'Zendesk triggers and Admin Center webhooks',
    zendeskTimeoutSeconds: 10,
    waitSeconds: () => 0,
    placeholder: (field) => `{{ticket.ticket_field_<id of the ${field} field>}}`,
    ticketPlaceholder: '{{ticket.id}}',
    steps: ({ request }) => [
      `Admin Center → Apps and integrations → Webhooks → Create webhook → Trigger or automation: endpoint URL ${request.url}, request method ${request.method}, request format JSON, authentication API key (header name x-api-key, value the flow key)`,
      'Optional, recommended: reveal the webhook signing secret and store it on the account (npm run -s cheqpoint -- account set-zendesk-secret <accountId> <secret>); then unsigned calls are refused with 401',
      'Admin Center → Objects and rules → Business rules → Triggers → Add trigger: the conditions that mean the risky action is asked for; action Notify by → Active webhook → this webhook, JSON body below',
    ],
    failure: null,
    isSigned: true,
    unverified: ['The webhook timeout (about 10 s) is a third-party report'],
  },
};

const RESPONSE_FIELDS: SetupGuide['responseFields'] = [
  { field: 'status', meaning: 'approved, rejected or pending (nobody decided within the wait)' },
  { field: 'approvalId', meaning: 'the approval (apr_…), to look it up later or mention on the ticket' },
  { field: 'decisionNote', meaning: "the decider's note (why it was rejected, what was changed), or null" },
  { field: 'modifiedDetails', meaning: 'the details as the person changed them before approving, or null' },
];

/** Body of a call for `action`: the rule's condition fields as placeholders, and the ticket. */
function bodyFor(action: string, fields: string[], facts: ProductFacts): Record<string, unknown> {
  const details: Record<string, unknown> = { ticket_id: facts.ticketPlaceholder };
  for (const path of fields) {
    const parts = path.split('.');
    let node = details;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts.at(-1) as string] = facts.placeholder(parts.join('_'));
  }
  return {
    action,
    summary: `${action.replace(/_/g, ' ')} for ticket ${facts.ticketPlaceholder}`,
    details,
    justification: facts.placeholder('reason'),
  };
}

/** One body per exact action the policy names (globs are listed as such), else an example. */
function bodiesOf(policy: Policy | null, facts: ProductFacts): SetupGuide['bodies'] {
  const byAction = new Map<string, { rule: string; fields: Set<string> }>();
  for (const rule of policy?.rules ?? []) {
    const entry = byAction.get(rule.action) ?? { rule: rule.name, fields: new Set<string>() };
    for (const field of Object.keys(rule.conditions ?? {})) entry.fields.add(field);
    byAction.set(rule.action, entry);
  }
  const bodies = [...byAction].map(([action, { rule, fields }]) => ({
    action,
    rule,
    body: bodyFor(action.includes('*') ? action.replace(/\*/g, '<name>') : action, [...fields].sort(), facts),
  }));
  if (bodies.length > 0) return bodies;
  return [{ action: 'cancel_subscription', rule: null, body: bodyFor('cancel_subscription', [], facts) }];
}

function branchesOf(facts: ProductFacts): SetupGuide['branches'] {
  const { failure } = facts;
  if (failure === null) {
    return [
      {
        when: 'any answer (202 pending, or an error)',
        then: 'nothing reads it: a trigger does not wait for a decision. The agent decides in the Cheqpoint sidebar; a backend that must act on the decision passes a callbackUrl instead',
        customerHears: null,
      },
    ];
  }
  return [
    {
      when: 'status is approved',
      then: 'do the action, with modifiedDetails instead of your own values when it is not null',
      customerHears: 'That is done (and what a person changed, if anything)',
    },
    {
      when: 'status is rejected',
      then: 'do not do the action; decisionNote says why',
      customerHears: 'We cannot do that (with decisionNote, if it is written for customers)',
    },
    {
      when: 'status is pending',
      then: 'do not do the action: nobody decided within the wait; hand over or end the flow, the decision arrives on the ticket',
      customerHears: 'A colleague is reviewing this and will follow up on your ticket',
    },
    {
      when: failure,
      then: 'do not do the action, and do not call again in a loop (the approval may exist and be pending); hand over to an agent',
      customerHears: 'We could not check this right now; a colleague will follow up on your ticket',
    },
  ];
}

/** The guide for one account and product (`zendesk setup-guide`). */
export function setupGuide(account: GuideAccount, product: SetupProduct, publicUrl: string): SetupGuide {
  const facts = PRODUCTS[product];
  const waitSeconds = Math.min(facts.waitSeconds(account), MAX_WAIT_SECONDS);
  const base = new URL(publicUrl);
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}/api/webhooks/inbound?wait=${waitSeconds}`;
  const request: SetupGuide['request'] = {
    method: 'POST',
    url,
    contentType: 'application/json',
    auth: {
      kind: 'api-key',
      header: 'x-api-key',
      value:
        "the account's flow key (cqp_flow_…), shown once by account create or key create --scope flow; it is not stored in clear, so a lost one is replaced with key create and key revoke",
      flowKeys: account.flowKeys,
    },
  };
  const steps = facts.steps({ request, waitSeconds }, base.hostname);
  if (!facts.isSigned && account.requiresWebhookSignature) {
    steps.unshift(
      'This account requires Zendesk webhook signatures on every inbound call (account set-zendesk-secret): AI-agent calls carry none and get 401. Clear it (account clear-zendesk-secret) or use another account for the AI agent',
    );
  }
  return {
    accountId: account.accountId,
    product,
    productName: facts.name,
    zendeskTimeoutSeconds: facts.zendeskTimeoutSeconds,
    waitSeconds,
    request,
    steps,
    bodies: bodiesOf(account.policy, facts),
    responseFields: facts.failure === null ? [] : RESPONSE_FIELDS,
    branches: branchesOf(facts),
    lateDecision:
      'A decision made after the answer reaches the ticket, not the conversation: the sidebar adds an internal note for a person’s decision, the Zendesk connection one for a policy’s or an expiry’s; an agent replies to the customer (an automatic reply is not built yet)',
    unverified: [
      'Screen and field names were checked against Zendesk’s help articles, not tried on a real Zendesk account',
      ...facts.unverified,
    ],
  };
}

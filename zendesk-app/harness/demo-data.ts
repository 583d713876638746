import type { Policy } from '@cheqpoint/shared';

/** Demo approvals the dev harness seeds on one ticket (and one on another, for the queue). */
export const DEMO_TICKET_ID = '9921';

/** The Zendesk groups of the demo users. */
const SUPPORT = { id: 10, name: 'Support' };
const TEAM_LEADS = { id: 11, name: 'Team leads' };

/**
 * Who `npm run dev` can sign in as (`?user=<id>`): Ada decided the demo history, Grace is a team lead
 * (the demo policy's big refunds), Margaret an admin (account deletions, escalated refunds).
 */
export const DEMO_USERS = [
  { id: 381, name: 'Ada Lovelace', email: 'ada@example.com', role: 'agent', locale: 'en-US', groups: [SUPPORT] },
  {
    id: 382,
    name: 'Grace Hopper',
    email: 'grace@example.com',
    role: 'agent',
    locale: 'en-US',
    groups: [SUPPORT, TEAM_LEADS],
  },
  {
    id: 383,
    name: 'Margaret Hamilton',
    email: 'margaret@example.com',
    role: 'admin',
    locale: 'en-US',
    groups: [SUPPORT],
  },
];

/** Refunds above this need a team lead under the demo policy (the demo history stays below it). */
export const DEMO_TEAM_LEAD_REFUND_ABOVE = 200;

/**
 * The demo account's policy (`npm run dev` sets it each run): approval authority by Zendesk group and
 * role. Everything else still goes to any agent, as the demo requests and history expect.
 */
export const DEMO_POLICY: Policy = {
  rules: [
    {
      name: 'big-refunds-need-a-team-lead',
      action: 'refund_order',
      conditions: { amount: { gt: DEMO_TEAM_LEAD_REFUND_ABOVE } },
      outcome: 'require_human',
      deciders: { groups: [TEAM_LEADS.name], label: 'Needs a team lead' },
      // nobody in Team leads within 4 hours: admins may decide too and the ticket becomes urgent
      escalation: { afterSeconds: 4 * 60 * 60, deciders: { roles: ['admin'] }, priority: 'urgent' },
    },
    {
      name: 'account-deletion-needs-an-admin',
      action: 'delete_account',
      outcome: 'require_human',
      deciders: { roles: ['admin'] },
    },
  ],
};

/** Subjects the harness's Zendesk API gives the demo tickets (the queue shows them under the ticket number). */
export const DEMO_TICKET_SUBJECTS: Record<string, string> = {
  [DEMO_TICKET_ID]: 'Order #1001 arrived late, and please cancel my Premium plan',
  '9922': 'We moved: new shipping address for order #1002',
};

/** The requester's first message of each demo ticket: what the AI agent's requests answer. */
export const DEMO_TICKET_MESSAGES: Record<string, { requester: string; body: string }> = {
  [DEMO_TICKET_ID]: {
    requester: 'Maya Schultz',
    body:
      'Hi, my order #1001 arrived nine days late, so I would like a full refund. And honestly the Premium ' +
      "plan is too expensive for me: please cancel it at the end of this billing period. I don't want the discount.",
  },
  '9922': {
    requester: 'Jonas Berg',
    body: 'We moved to Berlin last week. Could you send order #1002 to our new address, 10115 Berlin?',
  },
};

export const DEMO_REQUESTS = [
  {
    action: 'refund_order',
    summary: 'Refund order #1001 after a late delivery',
    details: { ticket_id: DEMO_TICKET_ID, order_id: '1001', amount: 40, currency: 'EUR', notify_customer: true },
    justification: 'The parcel arrived nine days late; the customer asks for a full refund.',
    riskLevel: 'medium',
    agentName: 'Support AI',
  },
  {
    action: 'cancel_subscription',
    summary: "Cancel the 'Premium' plan at the end of the billing period",
    details: {
      ticket_id: DEMO_TICKET_ID,
      subscription_id: 'sub_5521',
      churn_reason: 'Price too high',
      effective: { at: 'period_end', prorate: false },
    },
    justification: 'User explicitly asked to cancel after being offered a discount.',
    riskLevel: 'high',
    priority: 'high',
    agentName: 'Support AI',
  },
  {
    action: 'update_shipping_address',
    summary: 'Change the shipping address of order #1002',
    details: { ticket_id: '9922', order_id: '1002', address: { city: 'Berlin', zip: '10115' } },
    justification: 'The customer moved last week.',
    riskLevel: 'low',
    agentName: 'Support AI',
  },
] as const;

/**
 * Pending requests that only some agents may decide under DEMO_POLICY (`npm run dev` seeds them; the
 * listing screenshots leave them out, so the listing shows the sidebar every agent sees).
 */
export const DEMO_AUTHORITY_REQUESTS = [
  {
    action: 'refund_order',
    summary: 'Refund the Premium plan for the year (€500)',
    details: {
      ticket_id: DEMO_TICKET_ID,
      subscription_id: 'sub_5521',
      amount: 500,
      currency: 'EUR',
      notify_customer: true,
    },
    justification: 'Goodwill for the late order: the customer is cancelling the Premium plan because of the price.',
    riskLevel: 'high',
    agentName: 'Support AI',
  },
] as const;

/** Approvals of the demo ticket that were already decided, oldest first: the sidebar's history lines. */
export const DEMO_HISTORY = [
  {
    request: {
      action: 'offer_retention_discount',
      summary: 'Offer 20 % off the Premium plan for 3 months',
      details: { ticket_id: DEMO_TICKET_ID, subscription_id: 'sub_5521', discount_percent: 20, months: 3 },
      justification: 'The customer wants to cancel because of the price.',
      riskLevel: 'low',
      agentName: 'Support AI',
    },
    decision: { decision: 'reject', note: "She doesn't want a discount; she wants to cancel." },
  },
  {
    request: {
      action: 'issue_apology_voucher',
      summary: 'Send a €10 voucher for the late delivery',
      details: { ticket_id: DEMO_TICKET_ID, order_id: '1001', amount: 10, currency: 'EUR' },
      justification: 'The parcel was nine days late.',
      riskLevel: 'low',
      agentName: 'Support AI',
    },
    decision: {
      decision: 'approve',
      note: 'Halved: the full refund covers the order itself.',
      modifiedDetails: { ticket_id: DEMO_TICKET_ID, order_id: '1001', amount: 5, currency: 'EUR' },
    },
  },
] as const;

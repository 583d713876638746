/**
 * `npm run dev` plays a billing system: the demo billing endpoint on loopback (fake-billing.ts), and the
 * demo account's `cancel_subscription` action pointed at it through the CLI, as an admin would
 * (`secret set` with the bearer token on stdin, `action set --file`), so approving the demo cancellation
 * after its AI agent stopped waiting sends one request there and replies to the customer on the ticket.
 */
import { randomBytes } from 'node:crypto';
import { startFakeBilling, type IFakeBilling } from './fake-billing.js';

/** The secret the demo action's header names (`{{secrets.billing}}`). */
export const DEMO_BILLING_SECRET = 'billing';

/** The demo account's actions.json: cancellations go to the demo billing endpoint, late only. */
export function demoActions(billingUrl: string) {
  return {
    actions: [
      {
        action: 'cancel_subscription',
        execute: {
          method: 'POST',
          url: `${billingUrl}/v1/subscriptions/{{details.subscription_id}}/cancel`,
          name: 'Billing',
          headers: { authorization: `Bearer {{secrets.${DEMO_BILLING_SECRET}}}` },
          body: {
            at: '{{details.effective.at}}',
            prorate: '{{details.effective.prorate}}',
            reason: '{{details.churn_reason}}',
          },
        },
        when: 'late',
        reply: {
          approved: 'Your Premium plan is cancelled at the end of this billing period. {{decisionNote}}',
          rejected: 'We have not cancelled your Premium plan: {{decisionNote}}',
        },
      },
    ],
  };
}

export type DevBilling = { fake: IFakeBilling; token: string };

/** Starts the endpoint with a bearer token made up for this run; `port` 0 = any (CHEQPOINT_HARNESS_BILLING_PORT). */
export async function startDevBilling(port: number): Promise<DevBilling> {
  const token = `bill_dev_${randomBytes(12).toString('hex')}`;
  return { fake: await startFakeBilling({ token, port }), token };
}

/** `host:port` for the gateway's CHEQPOINT_CALLBACK_ALLOWLIST (the endpoint is a private address). */
export const allowlistEntry = (billing: DevBilling) => `127.0.0.1:${billing.fake.port}`;

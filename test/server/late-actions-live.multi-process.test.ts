import { ActionsFileSchema } from '@cheqpoint/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../server/src/accounts/accounts.service.js';
import { actionConfigs } from '../../server/src/actions/action-configs.js';
import { zendeskConnections } from '../../server/src/zendesk/connections.js';
import { startFakeBilling, type FakeBilling } from '../support/fake-billing.js';
import { agent, call, type JsonResponse } from '../support/http.js';
import { until, type GatewayProcess } from '../support/process.js';
import { startReceiver, type Receiver, type Reply } from '../support/receiver.js';
import { startTwoGatewayProcesses, type TwoGatewayProcesses } from '../support/two-processes.js';

/** How long the sidebar's held list call waits (the app's LIVE_WAIT_SECONDS, the gateway's maximum). */
const HOLD_SECONDS = 20;

/** A request the fake answers when the test says so (the execution or reply is in flight until then). */
function held() {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return { reply: { kind: 'hold', release: released } as Reply, release };
}

/**
 * Issue 18 follow-up: an open sidebar card learns what became of a late execution as soon as it is
 * recorded, on every process. Two real gateway processes on one database; the held list calls of a
 * ticket (what the sidebar keeps open, `?since=&wait=20`) answer when the billing fake answers, when a
 * failed execution is retried through the other process, and when the customer reply is added, with
 * the new state. They answer because of the change (their cursor moves past `since`): at their 20 s end
 * they would show the same state with the cursor unchanged.
 */
describe('Late executions wake the held lists of every process', () => {
  let procs: TwoGatewayProcesses | undefined;
  let keys: CreatedAccount;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let billing: FakeBilling;
  let zendesk: Receiver;
  /** Billing's answers by subscription id: the n-th request for it gets the n-th (the last repeats). */
  const billingAnswers = new Map<string, Reply[]>();
  /** Zendesk's answers to the public reply of a ticket (everything else: 200). */
  const replyAnswers = new Map<string, Reply>();
  let ticketSeq = 600_000 + Math.floor(Math.random() * 100_000);

  beforeAll(async () => {
    billing = await startFakeBilling((request) => {
      const sub = /\/subscriptions\/([^/]+)\//.exec(request.path)?.[1] ?? '';
      const list = billingAnswers.get(sub) ?? [{ status: 200, body: '{"ok":true}' }];
      const n = billing.requests.filter((r) => r.path.includes(`/subscriptions/${sub}/`)).length;
      return list[Math.min(n, list.length) - 1] ?? { status: 200 };
    });
    zendesk = await startReceiver((request) => {
      const ticket = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(request.path)?.[1];
      const isReply = request.method === 'PUT' && ticket !== undefined && request.body.includes('"public":true');
      return (isReply && replyAnswers.get(ticket)) || { status: 200, body: '{}' };
    });
    procs = await startTwoGatewayProcesses(
      'late_live',
      {
        CHEQPOINT_CALLBACK_ALLOWLIST: billing.hostPort,
        CHEQPOINT_DISPATCH_INTERVAL_MS: '50',
        CHEQPOINT_EXECUTION_GRACE_MS: '200',
        // Longer than a held list call, so a request the test holds neither times out nor is taken over meanwhile.
        CHEQPOINT_CALLBACK_TIMEOUT_MS: '25000',
        CHEQPOINT_CALLBACK_LEASE_MS: '30000',
      },
      async (conn, created) => {
        await zendeskConnections(conn).connect(created.accountId, {
          subdomain: 'acme',
          url: `http://127.0.0.1:${zendesk.port}`,
          appId: 1,
          auth: { kind: 'api-token', email: 'bot@acme.example', token: 'zd-live-token' },
        });
        await actionConfigs(conn).set(
          created.accountId,
          ActionsFileSchema.parse({
            actions: [
              {
                action: 'cancel_subscription',
                execute: {
                  url: billing.url('/v1/subscriptions/{{details.subscription_id}}/cancel'),
                  name: 'Billing',
                },
                when: 'late',
                reply: { approved: 'Your plan is cancelled.' },
              },
            ],
          }),
          new Date(),
        );
      },
    );
    ({ keys, a, b } = procs);
  });
  afterAll(async () => {
    await procs?.close();
    await Promise.all([billing?.close(), zendesk?.close()]);
  });

  const requestsFor = (sub: string) => billing.requests.filter((r) => r.path.includes(`/subscriptions/${sub}/`));

  /** A `?wait=0` cancellation on ticket `ticket` through A, approved later (through `via`). */
  async function lateApproval(ticket: string, sub: string, via: GatewayProcess) {
    const created = await call(a.url, 'POST', '/api/webhooks/inbound?wait=0', {
      key: keys.flowKey,
      body: { action: 'cancel_subscription', summary: 'Cancel', details: { ticket_id: ticket, subscription_id: sub } },
    });
    expect(created.status).toBe(202);
    const id = created.body.approvalId as string;
    const decided = await call(via.url, 'POST', `/api/agent/approvals/${id}/decision`, {
      key: keys.agentKey,
      body: { decision: 'approve', agent },
    });
    expect(decided.status).toBe(200);
    return id;
  }

  /** The ticket's list (what the sidebar reads) on one process: its cursor and the approval `id`. */
  async function ticketList(on: GatewayProcess, ticket: string, id: string, live?: { since: string }) {
    const query = live ? `&since=${live.since}&wait=${HOLD_SECONDS}` : '';
    const res: JsonResponse = await call(on.url, 'GET', `/api/agent/approvals?ticketId=${ticket}${query}`, {
      key: keys.agentKey,
    });
    expect(res.status).toBe(200);
    const approval = (res.body.approvals as { approvalId: string }[]).find((x) => x.approvalId === id) as
      | { execution: { status: string; attempts: number; lastStatus: number | null } | null; customerReply: unknown }
      | undefined;
    return { cursor: res.body.cursor as string, approval };
  }

  /**
   * Waits until the change feed has `count` announcements of the execution of `id` by `cause`. The state
   * is written before it is announced, so a list can show it a moment before: a cursor taken then would
   * be woken by that announcement rather than by the change the test makes next.
   */
  async function announced(id: string, cause: 'attempt' | 'retry' | 'reply', count = 1) {
    const changes = procs?.conn.collection('changes');
    await until(
      async () =>
        (await changes?.countDocuments({
          'change.kind': 'executed',
          'change.approvalId': id,
          'change.cause': cause,
        })) === count,
      `${count} ${cause} announcement(s) of ${id}`,
    );
  }

  /** A held list call's answer: it answered for a change after `since` (not at its own end), with `approval`. */
  function expectWoken(answer: Awaited<ReturnType<typeof ticketList>>, since: string) {
    expect(Number(answer.cursor)).toBeGreaterThan(Number(since));
    return answer.approval;
  }

  it('When billing answers while the ticket’s list is held on the deciding process and on the other one, then both answer with the execution succeeded', async () => {
    const ticket = String(ticketSeq++);
    const answer = held();
    billingAnswers.set('sub_live1', [answer.reply]);
    const id = await lateApproval(ticket, 'sub_live1', a);
    // The request is at billing, unanswered: the execution is in flight.
    await until(() => requestsFor('sub_live1').length === 1, 'the billing request');
    const [onA, onB] = await Promise.all([ticketList(a, ticket, id), ticketList(b, ticket, id)]);
    expect(onA.approval?.execution?.status).toBe('pending');
    expect(onB.approval?.execution?.status).toBe('pending');

    const heldOnA = ticketList(a, ticket, id, { since: onA.cursor });
    const heldOnB = ticketList(b, ticket, id, { since: onB.cursor });
    answer.release();
    for (const [woken, since] of [
      [await heldOnA, onA.cursor],
      [await heldOnB, onB.cursor],
    ] as const) {
      expect(expectWoken(woken, since)?.execution).toMatchObject({ status: 'succeeded', attempts: 1, lastStatus: 200 });
    }
    expect(requestsFor('sub_live1')).toHaveLength(1);
  });

  it('When a failed execution is retried through one process, then the list held on the other answers with it pending again, and once billing answers, with it succeeded', async () => {
    const ticket = String(ticketSeq++);
    const second = held();
    billingAnswers.set('sub_live2', [{ status: 422, body: '{"error":"card declined"}' }, second.reply]);
    const id = await lateApproval(ticket, 'sub_live2', a);
    await announced(id, 'attempt');
    const before = await ticketList(b, ticket, id);
    expect(before.approval?.execution).toMatchObject({ status: 'failed', lastStatus: 422 });

    const heldOnB = ticketList(b, ticket, id, { since: before.cursor });
    const retried = await call(a.url, 'POST', `/api/agent/approvals/${id}/execution/retry`, { key: keys.agentKey });
    expect(retried.status).toBe(202);
    const afterRetry = await heldOnB;
    // Pending with the failure cleared (a fresh schedule), not a later attempt's result.
    expect(expectWoken(afterRetry, before.cursor)?.execution).toMatchObject({ status: 'pending', lastError: null });

    // The retried request is at billing, unanswered; the next held call answers when it is.
    await until(() => requestsFor('sub_live2').length === 2, 'the retried request');
    const heldAgain = ticketList(b, ticket, id, { since: afterRetry.cursor });
    second.release();
    expect(expectWoken(await heldAgain, afterRetry.cursor)?.execution).toMatchObject({
      status: 'succeeded',
      lastStatus: 200,
    });
    expect(requestsFor('sub_live2')).toHaveLength(2);

    // A retry now is refused with the approval as it is, so the card that asked shows it.
    const again = await call(b.url, 'POST', `/api/agent/approvals/${id}/execution/retry`, { key: keys.agentKey });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      type: 'urn:cheqpoint:problem:execution-not-failed',
      executionState: 'succeeded',
      approval: { approvalId: id, execution: { status: 'succeeded' } },
    });
  });

  it('When the customer reply is added in Zendesk, then the ticket’s list held on a process answers with the reply added', async () => {
    const ticket = String(ticketSeq++);
    const reply = held();
    replyAnswers.set(ticket, reply.reply);
    const id = await lateApproval(ticket, 'sub_live3', b);
    const isReplyAtZendesk = () =>
      zendesk.requests.some(
        (r) => r.method === 'PUT' && r.path === `/api/v2/tickets/${ticket}.json` && r.body.includes('"public":true'),
      );
    // Billing answered and the reply is at Zendesk, unanswered.
    await until(isReplyAtZendesk, 'the reply sent to Zendesk');
    await announced(id, 'attempt');
    const before = await ticketList(a, ticket, id);
    expect(before.approval).toMatchObject({
      execution: { status: 'succeeded' },
      customerReply: { status: 'pending' },
    });

    const heldOnA = ticketList(a, ticket, id, { since: before.cursor });
    reply.release();
    expect(expectWoken(await heldOnA, before.cursor)).toMatchObject({
      execution: { status: 'succeeded' },
      customerReply: { status: 'added' },
    });
  });
});

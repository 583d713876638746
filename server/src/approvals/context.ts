import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { CallbackUrlPolicy } from '../callbacks/callback-url.js';
import type { ChangeFeed } from '../changes/change-feed.js';
import type { Clock } from '../lib/clock.js';
import type { PoliciesRepository } from '../policies/policies.repository.js';
import type { ApprovalChange } from './approval-changes.js';
import type { ApprovalDoc, DecisionDoc } from './approval.model.js';
import type { ApprovalStore } from './approval-store.js';
import type { ActionConfig, Escalation, StaffMember } from '@cheqpoint/shared';
import type { ExecutionRecord } from '../actions/execution.model.js';
import type { DecisionReads } from './decision-reads.js';
import type { DecisionWaiter } from './decision-waiter.js';
import type { ListWatch } from './list-watch.js';
import type { PendingSet } from './pending-set.js';
import type { TicketSlots } from './ticket-slots.js';

/** The callback outbox as the approvals see it (callbacks/ implements it). */
export type CallbackOutbox = {
  /** Writes the outbox entry of a decision about to be made (before its record; a duplicate is fine). */
  prepare: (approvalId: string, dueAt: Date) => Promise<void>;
  /** The first attempt, at once, from this process (the dispatcher's poll is the safety net). */
  sendNow: (approvalId: string) => void;
};

/** What Cheqpoint does about a decided action (actions/ implements it; README "Late decisions"). */
export type ActionsHooks = {
  /** The account's configuration of `action` (read by key), recorded on the approval at intake. */
  configFor: (accountId: string, action: string) => Promise<ActionConfig | null>;
  /** The execution written with a decision (null: nothing to do). */
  newExecution: (
    config: ActionConfig | null,
    outcome: 'approved' | 'rejected',
    decidedAt: Date,
  ) => ExecutionRecord | null;
  /** Writes the outbox entry of an execution about to be decided (before its record; a duplicate is fine). */
  prepare: (approvalId: string, dueAt: Date) => Promise<void>;
  /** Starts it from this process at `dueAt` (the outbox's poll is the safety net). */
  runAt: (approvalId: string, dueAt: Date) => void;
  /**
   * A requester call is about to answer with the decision: settles the `when: late` race (unique
   * insert). `requester` when it won (or won before): Cheqpoint will not act; `execution` when the
   * execution started first: Cheqpoint acts, and the answer says so.
   */
  requesterLearned: (approvalId: string) => Promise<'requester' | 'execution'>;
};

/** What the approvals ask of Zendesk about a verified person (zendesk/staff-directory implements it). */
export type StaffLookup =
  | { kind: 'found'; member: StaffMember & { name: string } }
  /** Zendesk has no such user (or not one of its staff: an end user never decides). */
  | { kind: 'unknown' }
  /** The account has no Zendesk connection (`zendesk connect`), so nobody can be looked up. */
  | { kind: 'no-connection' }
  /** Zendesk did not answer usefully (network, 5xx, rate limit, bad credentials): try again later. */
  | { kind: 'unavailable'; reason: string };
export type Staff = { lookup: (accountId: string, userId: string) => Promise<StaffLookup> };

/** What every approval use case works with. */
export type ApprovalsContext = {
  store: ApprovalStore;
  tickets: TicketSlots;
  pending: PendingSet;
  feed: ChangeFeed<ApprovalChange>;
  waiter: DecisionWaiter<DecisionDoc>;
  /** Decision records by key, batched across the held waits that end together. */
  decisionReads: DecisionReads;
  /** Held list calls (`?since=&wait=`), woken by the change feed. */
  lists: ListWatch;
  audit: AuditTrail;
  outbox: CallbackOutbox;
  actions: ActionsHooks;
  accounts: AccountsService;
  policies: Pick<PoliciesRepository, 'getPolicy'>;
  callbackPolicy: CallbackUrlPolicy;
  /** Roles and groups of verified people, for approvals whose rule asks for authority (zendesk/ implements it). */
  staff: Staff;
  clock: Clock;
  /** Runs once for the winning decision of an approval, whoever made it (agent, policy, expiry). */
  onDecided?: (decision: DecisionDoc, approval: ApprovalDoc) => void;
  /** Runs once when an approval's escalation applies (in the process that recorded it). */
  onEscalated?: (approval: ApprovalDoc, escalation: Escalation) => void;
  /** Runs once when a request stores a new approval (not for replays or deduplicated requests). */
  onCreated?: (approval: ApprovalDoc) => void;
  /** Test-only: pause between reading an approval and writing its decision (race tests). */
  decideDelayMs?: number;
};

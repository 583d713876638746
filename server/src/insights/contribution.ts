import type { DecidedBy } from '@cheqpoint/shared';
import { dayOf, encodeKey, numericDetails, timeBucket, valueBucket } from './insight-keys.js';

/** What a rollup is told of an approval (the approvals' stored approval has these fields). */
export type CountedApproval = { accountId: string; action: string; createdAt: Date; detailsJson: string };
/** What a rollup is told of a decision (the approvals' decision record has these fields). */
export type CountedDecision = {
  outcome: 'approved' | 'rejected';
  modifiedDetailsJson: string | null;
  decidedBy: DecidedBy;
  decidedAt: Date;
};

/**
 * What one event adds to one rollup document (its account and day), as update paths: `$inc` of
 * counters and `$set` of names. Paths have encoded parts only (never a stored dotted key).
 */
export type Contribution = {
  accountId: string;
  day: string;
  inc: Record<string, number>;
  set: Record<string, string>;
};

/**
 * Each event is counted on the UTC day it happened: a request on the day it came in, a decision on the
 * day it was made. So a day's counts are final once the day is over (plus a margin for writes in
 * flight), and readers keep finished days in memory (see closed-days.ts).
 */
const base = (
  approval: Pick<CountedApproval, 'accountId' | 'action'>,
  at: Date,
): Omit<Contribution, 'inc' | 'set'> & { prefix: string } => ({
  accountId: approval.accountId,
  day: dayOf(at),
  prefix: `a.${encodeKey(approval.action)}`,
});

/** A new request. */
export function requestContribution(approval: CountedApproval): Contribution {
  const { prefix, ...at } = base(approval, approval.createdAt);
  return { ...at, inc: { [`${prefix}.rq`]: 1 }, set: {} };
}

/** A rule's decision, by outcome: approved, rejected. */
const POLICY_KEY = { approved: 'pa', rejected: 'pr' } as const satisfies Record<CountedDecision['outcome'], string>;

/** People's outcome letter: approved unchanged, approved with changes, rejected. */
function peopleOutcome(decision: CountedDecision): 'a' | 'c' | 'r' {
  if (decision.outcome === 'rejected') return 'r';
  return decision.modifiedDetailsJson === null ? 'a' : 'c';
}

/** An approval's decision, whoever made it (a rule, people, the expiry). */
export function decisionContribution(approval: CountedApproval, decision: CountedDecision): Contribution {
  const { prefix, ...at } = base(approval, decision.decidedAt);
  const inc: Record<string, number> = {};
  const set: Record<string, string> = {};
  const by = decision.decidedBy;
  switch (by.type) {
    case 'policy':
      inc[`${prefix}.${POLICY_KEY[decision.outcome]}`] = 1;
      break;
    case 'expiry':
      inc[`${prefix}.ex`] = 1;
      break;
    case 'agent': {
      const outcome = peopleOutcome(decision);
      inc[`${prefix}.u${outcome}`] = 1;
      const seconds = Math.max(0, (decision.decidedAt.getTime() - approval.createdAt.getTime()) / 1000);
      inc[`${prefix}.t.b${timeBucket(seconds)}`] = 1;
      const agent = encodeKey(by.id);
      inc[`${prefix}.g.${agent}.${outcome}`] = 1;
      set[`nm.${agent}`] = by.name;
      for (const [field, value] of numericDetails(approval.detailsJson)) {
        inc[`${prefix}.n.${encodeKey(field)}.b${valueBucket(value)}.${outcome}`] = 1;
      }
      break;
    }
  }
  return { ...at, inc, set };
}

/** A person's decision (made at `decidedAt`) that answered the requester's held call while it still waited. */
export function waitedContribution(
  approval: Pick<CountedApproval, 'accountId' | 'action'>,
  decidedAt: Date,
): Contribution {
  const { prefix, ...at } = base(approval, decidedAt);
  return { ...at, inc: { [`${prefix}.wt`]: 1 }, set: {} };
}

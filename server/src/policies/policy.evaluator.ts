import type {
  Condition,
  DecidedBy,
  Deciders,
  Escalation,
  DryRunResult,
  EditableFields,
  Policy,
  Notify,
  PolicyOutcome,
  PolicyRule,
  PolicyVerdict,
} from '@cheqpoint/shared';
import { STATUS_OF_DECISION } from '@cheqpoint/shared';
import { numeric, valueAt } from './details-path.js';

/** What the policy says about one request. */
export type PolicyEvaluation = {
  /** `approve` or `reject`: answer at once; `require_human`: a person decides. */
  outcome: PolicyOutcome;
  /** The deciding rule, or null when no rule (other than dry runs) matched. */
  rule: string | null;
  /** The deciding rule's note. */
  note: string | null;
  /** Expiry for a pending approval: the rule's own, else the policy's per-action one, else null (account default). */
  expiresInSeconds: number | null;
  /** Dry-run rules that matched before the deciding rule, in order (the first is what would have happened). */
  dryRun: DryRunResult[];
  /** Bounds on `modifiedDetails`, from the first matching rule that declares them; null = no bounds. */
  editableFields: EditableFields | null;
  /** Distinct agents who must approve (the deciding require_human rule's `approvals`); 1 otherwise. */
  approvalsRequired: number;
  /** Who may decide (the deciding require_human rule's `deciders`); null: any agent. */
  deciders: Deciders | null;
  /** The deciding require_human rule's escalation; null: none. */
  escalation: Escalation | null;
  /** Where the deciding require_human rule announces its approvals (`notify`); null: the account's channel. */
  notify: Notify | null;
};

export type PolicyInput = { action: string; details: Record<string, unknown> };

const globCache = new Map<string, RegExp>();

/** True when `action` is `pattern`, or matches it as a glob where `*` stands for any characters. */
export function matchesAction(pattern: string, action: string): boolean {
  if (!pattern.includes('*')) return pattern === action;
  let regex = globCache.get(pattern);
  if (!regex) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}$`, 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(pattern, regex);
  }
  return regex.test(action);
}

/** True when `value` (undefined = absent) passes every operator of `condition`. */
export function conditionHolds(condition: Condition, value: unknown): boolean {
  const isPresent = value !== undefined && value !== null;
  if (condition.exists !== undefined && condition.exists !== isPresent) return false;
  if (condition.eq !== undefined && value !== condition.eq) return false;
  if (condition.in !== undefined && !condition.in.some((option) => option === value)) return false;
  const bounds = [condition.lt, condition.lte, condition.gt, condition.gte];
  if (bounds.some((b) => b !== undefined)) {
    const n = numeric(value);
    if (n === null) return false;
    if (condition.lt !== undefined && !(n < condition.lt)) return false;
    if (condition.lte !== undefined && !(n <= condition.lte)) return false;
    if (condition.gt !== undefined && !(n > condition.gt)) return false;
    if (condition.gte !== undefined && !(n >= condition.gte)) return false;
  }
  return true;
}

/** True when the rule's action pattern and all its conditions match. */
export function ruleMatches(rule: PolicyRule, input: PolicyInput): boolean {
  if (!matchesAction(rule.action, input.action)) return false;
  return Object.entries(rule.conditions ?? {}).every(([path, condition]) =>
    conditionHolds(condition, valueAt(input.details, path)),
  );
}

/** The policy's per-action expiry: an exact action name first, then the longest matching glob. */
export function actionExpiry(policy: Policy, action: string): number | null {
  const entries = Object.entries(policy.expiries ?? {});
  const exact = entries.find(([pattern]) => pattern === action);
  if (exact) return exact[1];
  let best: [string, number] | null = null;
  for (const entry of entries) {
    if (matchesAction(entry[0], action) && (best === null || entry[0].length > best[0].length)) best = entry;
  }
  return best ? best[1] : null;
}

/**
 * Evaluates `policy` for a request. Rules are tried in order; the first match that is not a dry
 * run decides. Without a match (or without a policy) a person decides.
 */
export function evaluatePolicy(policy: Policy | null, input: PolicyInput): PolicyEvaluation {
  const evaluation: PolicyEvaluation = {
    outcome: 'require_human',
    rule: null,
    note: null,
    expiresInSeconds: null,
    dryRun: [],
    editableFields: null,
    approvalsRequired: 1,
    deciders: null,
    escalation: null,
    notify: null,
  };
  if (!policy) return evaluation;
  let decider: PolicyRule | null = null;
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, input)) continue;
    if (evaluation.editableFields === null && rule.editableFields) evaluation.editableFields = rule.editableFields;
    if (decider) continue;
    if (rule.dryRun === true) {
      evaluation.dryRun.push({ rule: rule.name, wouldHave: rule.outcome === 'reject' ? 'reject' : 'approve' });
    } else decider = rule;
    if (decider && evaluation.editableFields !== null) break;
  }
  if (decider) {
    evaluation.outcome = decider.outcome;
    evaluation.rule = decider.name;
    evaluation.note = decider.note ?? null;
    evaluation.expiresInSeconds = decider.expiresInSeconds ?? null;
    if (decider.outcome === 'require_human') {
      evaluation.approvalsRequired = decider.approvals ?? 1;
      evaluation.deciders = decider.deciders ?? null;
      evaluation.escalation = decider.escalation ?? null;
      evaluation.notify = decider.notify ?? null;
    }
  }
  if (evaluation.outcome === 'require_human' && evaluation.expiresInSeconds === null) {
    evaluation.expiresInSeconds = actionExpiry(policy, input.action);
  }
  return evaluation;
}

/** The verdict to record on the approval (and in its `policy_evaluated` audit event). */
export function toPolicyVerdict(evaluation: PolicyEvaluation, policyVersion: number | null): PolicyVerdict {
  return {
    outcome: evaluation.outcome,
    rule: evaluation.rule,
    dryRun: evaluation.dryRun,
    policyVersion,
    // Only on a quorum, so approvals (and audit events) of one approver read exactly as before.
    ...(evaluation.approvalsRequired > 1 ? { approvalsRequired: evaluation.approvalsRequired } : {}),
    ...(evaluation.deciders ? { deciders: evaluation.deciders } : {}),
    ...(evaluation.escalation ? { escalation: evaluation.escalation } : {}),
    ...(evaluation.notify ? { notify: evaluation.notify } : {}),
  };
}

/** The decision a rule takes at intake, or null when a person decides. */
export function policyDecision(
  evaluation: PolicyEvaluation,
): { outcome: 'approved' | 'rejected'; note: string | null; decidedBy: DecidedBy } | null {
  if (evaluation.outcome === 'require_human' || evaluation.rule === null) return null;
  return {
    outcome: STATUS_OF_DECISION[evaluation.outcome],
    note: evaluation.note,
    decidedBy: { type: 'policy', rule: evaluation.rule },
  };
}

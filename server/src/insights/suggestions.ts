import type { Connection } from 'mongoose';
import {
  MAX_POLICY_RULES,
  MIN_SUGGESTION_APPROVALS,
  type Policy,
  type PolicyRule,
  type Suggestion,
  type SuggestionKind,
  type Suggestions,
  type SuggestionSlice,
} from '@cheqpoint/shared';
import { backtest, storedRequests, type StoredRequest } from './backtest.js';
import { sumCounters } from './counters.js';
import { VALUE_BOUNDS } from './insight-keys.js';
import type { Rollups } from './rollup-reader.js';
import { candidatesOf, periodOf, type Candidate } from './slices.js';

const NAME_LIMIT = 100;

/** What each kind of suggestion proposes: the rule's outcome and the word its name and note use. */
const BY_KIND = {
  auto_approve: { outcome: 'approve', verb: 'approve', done: 'Approved', people: 'approved all', how: ' unchanged' },
  auto_reject: { outcome: 'reject', verb: 'reject', done: 'Rejected', people: 'rejected all', how: '' },
} as const satisfies Record<SuggestionKind, { outcome: PolicyRule['outcome'] } & Record<string, string>>;

function ruleName(kind: SuggestionKind, slice: SuggestionSlice): string {
  const { verb } = BY_KIND[kind];
  const bound = slice.field !== null && slice.lte !== null ? `-${slice.field}-lte-${slice.lte}` : '';
  return `suggested-${verb}-${slice.action}${bound}`.slice(0, NAME_LIMIT);
}

function ruleOf(kind: SuggestionKind, slice: SuggestionSlice, decided: number, days: number, to: string): PolicyRule {
  const which =
    slice.field !== null && slice.lte !== null
      ? `${slice.action} requests with ${slice.field} ≤ ${slice.lte}`
      : `${slice.action} requests`;
  const words = BY_KIND[kind];
  const note = `${words.done} by rule: people ${words.people} ${decided} ${which}${words.how} in the ${days} days to ${to}.`;
  return {
    name: ruleName(kind, slice),
    action: slice.action,
    ...(slice.field !== null && slice.lte !== null ? { conditions: { [slice.field]: { lte: slice.lte } } } : {}),
    outcome: words.outcome,
    note,
  };
}

/** The period's people decisions of a candidate slice, at the bound `top` (a value bucket) or whole. */
function periodAt(candidate: Candidate, counters: { ua?: number; uc?: number; ur?: number }, top: number | null) {
  if (candidate.histogram && top !== null) return periodOf(candidate.histogram, top);
  const approvedUnchanged = counters.ua ?? 0;
  const approvedWithChanges = counters.uc ?? 0;
  const rejected = counters.ur ?? 0;
  return {
    decidedByPeople: approvedUnchanged + approvedWithChanges + rejected,
    approvedUnchanged,
    approvedWithChanges,
    rejected,
  };
}

/**
 * A candidate made a suggestion when its backtest over the whole stored history has no conflict; a
 * bounded one steps its bound down past any stored request people decided otherwise, as long as the
 * period still holds 30 approvals unchanged. null: no safe bound.
 */
function suggestionOf(
  candidate: Candidate,
  counters: { ua?: number; uc?: number; ur?: number },
  requests: readonly StoredRequest[],
  days: number,
  to: string,
): Suggestion | null {
  const tops: (number | null)[] =
    candidate.slice.lte === null ? [null] : [VALUE_BOUNDS.indexOf(candidate.slice.lte), ...candidate.lowerBounds];
  for (const top of tops) {
    const slice: SuggestionSlice = {
      ...candidate.slice,
      lte: top === null ? candidate.slice.lte : (VALUE_BOUNDS[top] ?? null),
    };
    const period = periodAt(candidate, counters, top);
    const agreeing = candidate.kind === 'auto_approve' ? period.approvedUnchanged : period.rejected;
    if (agreeing < MIN_SUGGESTION_APPROVALS) return null;
    const rule = ruleOf(candidate.kind, slice, agreeing, days, to);
    const result = backtest(rule, candidate.kind, requests);
    if (result.conflicting === 0) return { kind: candidate.kind, slice, period, backtest: result, rule };
  }
  return null;
}

/**
 * Suggested rules of an account from its period's rollups, each backtested over every stored request
 * of its action, and the account's policy with them first (what `policy set` would take).
 */
export async function suggestRules(
  conn: Connection,
  accountId: string,
  rollups: Rollups,
  period: { days: readonly string[]; now: Date },
  current: Policy | null,
): Promise<Suggestions> {
  const days = period.days.length;
  const to = period.days[days - 1] ?? '';
  const byAction = new Map<string, ReturnType<typeof sumCounters>>();
  for (const actions of rollups.days.values()) {
    for (const [action, counters] of actions) byAction.set(action, sumCounters([byAction.get(action) ?? {}, counters]));
  }
  const candidates = [...byAction].flatMap(([action, counters]) => candidatesOf(action, counters));
  const requests = await storedRequests(conn, accountId, [...new Set(candidates.map((c) => c.slice.action))]);
  const taken = new Set((current?.rules ?? []).map((rule) => rule.name));
  const suggestions: Suggestion[] = [];
  for (const candidate of candidates.sort((x, y) => x.slice.action.localeCompare(y.slice.action))) {
    const counters = byAction.get(candidate.slice.action) ?? {};
    const suggestion = suggestionOf(candidate, counters, requests.get(candidate.slice.action) ?? [], days, to);
    // A rule of that name is the account's already (set from an earlier suggestion): nothing new.
    if (!suggestion || taken.has(suggestion.rule.name)) continue;
    taken.add(suggestion.rule.name);
    suggestions.push(suggestion);
  }
  const room = MAX_POLICY_RULES - (current?.rules.length ?? 0);
  const kept = suggestions.slice(0, Math.max(0, room));
  return {
    days,
    from: period.days[0] ?? '',
    to,
    generatedAt: period.now.toISOString(),
    minApprovals: MIN_SUGGESTION_APPROVALS,
    suggestions: kept,
    policy: {
      ...(current ?? {}),
      rules: [...kept.map((s) => s.rule), ...(current?.rules ?? [])],
    },
  };
}

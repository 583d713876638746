import { z } from 'zod';
import { PolicyRuleSchema, PolicySchema } from './policy.schema.js';

/**
 * Insights: what people decide, how fast, and which rules would take it off their plate.
 * Counted by the UTC day the request came in (its cohort): a request of Monday decided on Tuesday
 * counts on Monday, so every day's decided counts are at most its requests.
 */

/** Longest period `GET /api/agent/insights?days=` reads (one year and a day). */
export const MAX_INSIGHT_DAYS = 366;
/** Period read when `days` is left out. */
export const DEFAULT_INSIGHT_DAYS = 30;
/** Approvals unchanged by people, with none rejected or changed, before a slice is suggested. */
export const MIN_SUGGESTION_APPROVALS = 30;

/**
 * Upper bounds (seconds) of the time-to-decision histogram's buckets; a last bucket holds the rest.
 * p50 and p90 are read from these buckets, interpolated linearly inside the bucket the rank falls in.
 */
export const TIME_TO_DECISION_BUCKETS = [
  1,
  5,
  15,
  30,
  60,
  120,
  300,
  600,
  1800,
  3600,
  2 * 3600,
  4 * 3600,
  8 * 3600,
  24 * 3600,
  72 * 3600,
] as const;

const days = z.coerce
  .number({ message: 'days must be a whole number of days from 1 to 366' })
  .int({ message: 'days must be a whole number of days from 1 to 366' })
  .min(1, { message: 'days must be at least 1' })
  .max(MAX_INSIGHT_DAYS, { message: `days must be at most ${MAX_INSIGHT_DAYS}` });

/** `?days=N`: the last N UTC days, today included. */
export const InsightsQuerySchema = z.strictObject({
  days: days.default(DEFAULT_INSIGHT_DAYS).describe('The last N UTC days, today included (1–366, default 30)'),
});
export type InsightsQuery = z.infer<typeof InsightsQuerySchema>;

const count = z.number().int().min(0);
/** A share from 0 to 1; null when there is nothing to divide by. */
const rate = z.number().min(0).max(1).nullable();
const dayText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .describe('UTC day, YYYY-MM-DD');

/** What happened to the requests of one UTC day (by the day they came in). */
export const InsightDaySchema = z.object({
  day: dayText,
  requests: count,
  /** Approved unchanged, by a person or a rule. */
  approved: count,
  /** Approved by a person who changed the details first. */
  approvedWithChanges: count,
  /** Rejected by a person or a rule (not by the expiry). */
  rejected: count,
  expired: count,
});
export type InsightDay = z.infer<typeof InsightDaySchema>;

/** Time from request to a person's decision, from the histogram (never from single approvals). */
export const TimeToDecisionSchema = z.object({
  /** Decisions by people measured. */
  count,
  p50Seconds: z.number().min(0).nullable().describe('Interpolated inside its histogram bucket; null: no decision'),
  p90Seconds: z.number().min(0).nullable().describe('Interpolated inside its histogram bucket; null: no decision'),
  /** The histogram: decisions per bucket, `leSeconds` its upper bound (null: above the last bound). */
  buckets: z.array(z.object({ leSeconds: z.number().nullable(), count })),
});
export type TimeToDecision = z.infer<typeof TimeToDecisionSchema>;

/** The numbers of one action, or of all actions together. */
export const InsightTotalsSchema = z.object({
  requests: count,
  /** Requests decided so far (by a rule, a person or the expiry); the rest are pending. */
  decided: count,
  pending: count,
  decidedByPolicy: count,
  decidedByPeople: count,
  expired: count,
  approved: count,
  approvedWithChanges: count,
  rejected: count,
  /** People's decisions made while the requester still held its call open (`?wait=`). */
  decidedWhileWaiting: count,
  shares: z.object({
    byPolicy: rate.describe('decidedByPolicy / decided'),
    byPeople: rate.describe('decidedByPeople / decided'),
    expired: rate.describe('expired / decided'),
    /** Of people's decisions: approved, with or without changes. */
    approvalRate: rate.describe('(approved + approvedWithChanges by people) / decidedByPeople'),
    /** Of people's approvals: with changes. */
    changeRate: rate.describe('approvedWithChanges / approvals by people'),
    /** Of people's decisions: within the requester's wait. */
    withinWait: rate.describe('decidedWhileWaiting / decidedByPeople'),
  }),
  timeToDecision: TimeToDecisionSchema,
  daily: z.array(InsightDaySchema).describe('One entry per day of the period, oldest first'),
});
export type InsightTotals = z.infer<typeof InsightTotalsSchema>;

export const ActionInsightsSchema = InsightTotalsSchema.extend({ action: z.string() });
export type ActionInsights = z.infer<typeof ActionInsightsSchema>;

/** What one person decided in the period. */
export const AgentInsightsSchema = z.object({
  agentId: z.string(),
  /** The name the agent last decided under. */
  name: z.string().nullable(),
  decisions: count,
  approved: count,
  approvedWithChanges: count,
  rejected: count,
});
export type AgentInsights = z.infer<typeof AgentInsightsSchema>;

/** `GET /api/agent/insights?days=30`. */
export const InsightsSchema = z.object({
  days: z.number().int(),
  from: dayText.describe('First day of the period'),
  to: dayText.describe('Last day of the period (today, UTC)'),
  generatedAt: z.string().describe('ISO 8601'),
  total: InsightTotalsSchema,
  /** Most requests first. */
  actions: z.array(ActionInsightsSchema),
  /** Most decisions first. */
  agents: z.array(AgentInsightsSchema),
});
export type Insights = z.infer<typeof InsightsSchema>;

/** What a suggested rule does. */
export const SUGGESTION_KINDS = ['auto_approve', 'auto_reject'] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];

/** The requests a suggestion covers: one action, optionally only up to a bound on a numeric detail. */
export const SuggestionSliceSchema = z.object({
  action: z.string(),
  /** The numeric `details` field bounded (null: the whole action). */
  field: z.string().nullable(),
  /** Requests with `field` at most this (null: no bound). */
  lte: z.number().nullable(),
});
export type SuggestionSlice = z.infer<typeof SuggestionSliceSchema>;

/** How the stored requests of a slice were decided. */
export const SliceOutcomesSchema = z.object({
  /** Requests in the slice. */
  requests: count,
  approvedUnchanged: count,
  approvedWithChanges: count,
  rejected: count,
  expired: count,
  pending: count,
});
export type SliceOutcomes = z.infer<typeof SliceOutcomesSchema>;

export const SuggestionSchema = z.object({
  kind: z.enum(SUGGESTION_KINDS),
  slice: SuggestionSliceSchema,
  /** People's decisions of the slice in the period, from the daily counts. */
  period: z.object({ decidedByPeople: count, approvedUnchanged: count, approvedWithChanges: count, rejected: count }),
  /** The rule replayed over every stored request of the account (not only the period). */
  backtest: SliceOutcomesSchema.extend({
    /** Requests the rule would have decided (every stored request it matches). */
    wouldHaveDecided: count,
    /** Of those, decided otherwise by people or a rule (changed or rejected; approved for auto_reject). Always 0. */
    conflicting: count,
  }),
  /** The rule itself, as `policy set` and `policy try` take it. */
  rule: PolicyRuleSchema,
});
export type Suggestion = z.infer<typeof SuggestionSchema>;

/** `GET /api/agent/insights/suggestions?days=30`. */
export const SuggestionsSchema = z.object({
  days: z.number().int(),
  from: dayText,
  to: dayText,
  generatedAt: z.string(),
  /** Approvals unchanged needed before a slice is suggested. */
  minApprovals: z.number().int(),
  suggestions: z.array(SuggestionSchema),
  /**
   * The account's policy with the suggested rules first (its own rules after them, unchanged): a file
   * `policy try --file` and `policy set --file` take. Nothing is applied until an admin sets it.
   */
  policy: PolicySchema,
});
export type Suggestions = z.infer<typeof SuggestionsSchema>;

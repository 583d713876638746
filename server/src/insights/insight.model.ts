import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The counters of one action in one rollup document (short keys: they repeat per action, per day and
 * per writer). Nested keys are encoded (encodeKey): stored keys never hold a dot or start with `$`.
 */
export type ActionCounters = {
  /** Requests. */
  rq?: number;
  /** Decided by a rule: approved, rejected. */
  pa?: number;
  pr?: number;
  /** Decided by people: approved unchanged, approved with changes, rejected. */
  ua?: number;
  uc?: number;
  ur?: number;
  /** Expired (nobody decided in time). */
  ex?: number;
  /** People's decisions made while the requester still held its call (`?wait=`). */
  wt?: number;
  /** People's time to decision: `b<i>` counts the decisions in TIME_TO_DECISION_BUCKETS[i]. */
  t?: Record<string, number>;
  /** Per deciding agent (encoded id): approved unchanged, approved with changes, rejected. */
  g?: Record<string, { a?: number; c?: number; r?: number }>;
  /** Per numeric detail (encoded name), per value bucket `b<i>`: people's outcomes as in `g`. */
  n?: Record<string, Record<string, { a?: number; c?: number; r?: number }>>;
};

/**
 * Daily rollup of one account, one UTC day (the day its events happened: a request the day it came in,
 * a decision the day it was made) and one writer: a gateway process, or `upgrade` for what the upgrade
 * in place counted from stored approvals. Only its writer
 * ever changes it (serially), so `$inc`, which FerretDB v1 does not apply atomically, loses nothing;
 * a day's numbers are the sum over its writers. `_id` is `<accountId>:<YYYY-MM-DD>:<writer>`.
 */
export type InsightDayDoc = {
  _id: string;
  accountId: string;
  day: string;
  writer: string;
  /**
   * The counters as JSON, `{ a: { <encoded action>: ActionCounters }, nm: { <encoded agent id>: name } }`:
   * one string field, because FerretDB decodes a nested document field by field (about 5 ms for one
   * of 8 actions), while a string is one value; its single writer keeps it in memory and replaces it.
   */
  json: string;
};

/** What `json` holds. */
export type RollupCounters = { a?: Record<string, ActionCounters>; nm?: Record<string, string> };

const insightDaySchema = new Schema<InsightDayDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    day: { type: String, required: true },
    writer: { type: String, required: true },
    json: { type: String, required: true },
  },
  { versionKey: false, collection: 'insight_days', strict: 'throw', minimize: false },
);

/**
 * Who wrote rollups on a day: slots `<YYYY-MM-DD>:<n>` (n = 1, 2, 3 …) claimed by unique insert, one
 * per writing process and day, so a reader finds every writer of a day by key (a few per day).
 */
export type InsightWriterDoc = { _id: string; writer: string; createdAt: Date };

const insightWriterSchema = new Schema<InsightWriterDoc>(
  {
    _id: { type: String, required: true },
    writer: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'insight_writers', strict: 'throw' },
);

export type InsightModels = { InsightDay: Model<InsightDayDoc>; InsightWriter: Model<InsightWriterDoc> };

export function insightModels(conn: Connection): InsightModels {
  return {
    InsightDay: conn.models['InsightDay'] ?? conn.model<InsightDayDoc>('InsightDay', insightDaySchema),
    InsightWriter: conn.models['InsightWriter'] ?? conn.model<InsightWriterDoc>('InsightWriter', insightWriterSchema),
  } as InsightModels;
}

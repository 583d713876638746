import type { Connection } from 'mongoose';
import type { Approval, Insights, Suggestions } from '@cheqpoint/shared';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import {
  decisionContribution,
  requestContribution,
  waitedContribution,
  type CountedApproval,
  type CountedDecision,
} from './contribution.js';
import { ClosedDays } from './closed-days.js';
import { readInsights, readSuggestions } from './insights-reads.js';
import { RollupWriter } from './rollup-writer.js';

export { readSuggestions } from './insights-reads.js';
export { fillRollups } from './fill-rollups.js';

/**
 * Insights of one gateway process: what the approvals tell it (a new request, the winning decision of
 * an approval, a person's decision answering a held call) is counted into this process's daily rollups;
 * reads add up every process's rollups of the period by key.
 */
export function createInsights(options: { conn: Connection; clock: Clock; logger: Logger }) {
  const { conn, clock, logger } = options;
  const writer = new RollupWriter(conn, { clock, logger });
  /** Finished days already read: they cannot change, so later reads take them from memory. */
  const closed = new ClosedDays();
  /** Approvals whose held-call answer was counted here (one count per approval, however many calls). */
  const waited = new Set<string>();
  return {
    /** A request stored (once per approval: the approvals' onCreated). */
    created(approval: CountedApproval) {
      writer.add(requestContribution(approval));
    },
    /** An approval's decision (once, where it was settled: the approvals' onDecided). */
    decided(decision: CountedDecision, approval: CountedApproval) {
      writer.add(decisionContribution(approval, decision));
    },
    /** A held call (`?wait=`) answered with a person's decision made while it waited. */
    waited(approval: Pick<Approval, 'approvalId' | 'action' | 'decidedAt' | 'decidedBy'>, accountId: string) {
      if (approval.decidedBy?.type !== 'agent' || approval.decidedAt === null || waited.has(approval.approvalId))
        return;
      waited.add(approval.approvalId);
      if (waited.size > 10_000) waited.delete(waited.values().next().value as string);
      writer.add(waitedContribution({ accountId, action: approval.action }, new Date(approval.decidedAt)));
    },
    async read(accountId: string, days: number): Promise<Insights> {
      // This process's own counts first, so a decision made here shows at once.
      await writer.flush();
      return readInsights(conn, clock, accountId, days, closed);
    },
    async suggestions(accountId: string, days: number): Promise<Suggestions> {
      await writer.flush();
      return readSuggestions(conn, clock, accountId, days, closed);
    },
    /** Writes every count not yet written (graceful stop). */
    flush: () => writer.flush(),
  };
}
export type InsightsService = ReturnType<typeof createInsights>;

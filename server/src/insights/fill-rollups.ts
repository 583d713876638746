import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../db/errors.js';
import {
  decisionContribution,
  requestContribution,
  type Contribution,
  type CountedApproval,
  type CountedDecision,
} from './contribution.js';
import { applyContribution } from './counters.js';
import { rollupId, UPGRADE_WRITER } from './insight-keys.js';
import { insightModels, type InsightDayDoc } from './insight.model.js';

/**
 * The upgrade in place's rollups: every stored approval's request and, when decided, its decision,
 * counted exactly as a gateway counts them live (the same contributions), into one document per
 * account and day written by the `upgrade` writer. Each document is replaced whole with what the
 * stored approvals give, so a rerun or a second process doing it at once writes the same. What was
 * never stored is not counted: decisions made while the requester waited count from the upgrade on.
 */
export async function fillRollups(
  conn: Connection,
  approvals: readonly CountedApproval[] & readonly { _id: string }[],
  decisions: ReadonlyMap<string, CountedDecision>,
): Promise<number> {
  const counted = new Map<string, { accountId: string; day: string; counters: Record<string, unknown> }>();
  const add = (contribution: Contribution) => {
    const id = rollupId(contribution.accountId, contribution.day, UPGRADE_WRITER);
    const entry = counted.get(id) ?? { accountId: contribution.accountId, day: contribution.day, counters: {} };
    applyContribution(entry.counters, contribution.inc, contribution.set);
    counted.set(id, entry);
  };
  const events: { at: number; contribution: Contribution }[] = [];
  for (const approval of approvals) {
    events.push({ at: approval.createdAt.getTime(), contribution: requestContribution(approval) });
    const decision = decisions.get(approval._id);
    if (decision)
      events.push({ at: decision.decidedAt.getTime(), contribution: decisionContribution(approval, decision) });
  }
  // Oldest first, so the name an agent last decided under is the one kept.
  for (const { contribution } of events.sort((x, y) => x.at - y.at)) add(contribution);
  const { InsightDay } = insightModels(conn);
  const docs: InsightDayDoc[] = [...counted].map(([id, entry]) => ({
    _id: id,
    accountId: entry.accountId,
    day: entry.day,
    writer: UPGRADE_WRITER,
    json: JSON.stringify(entry.counters),
  }));
  for (const doc of docs) {
    const replace = () => InsightDay.collection.replaceOne({ _id: doc._id as never }, doc, { upsert: true });
    // Two processes upgrading at once may both insert it: the second then replaces it with the same.
    await replace().catch((err: unknown) => (isDuplicateKey(err) ? replace() : Promise.reject(err)));
  }
  return docs.length;
}

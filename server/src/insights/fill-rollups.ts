import type { Connection } from 'mongoose';
import { isDuplicateKey } from '../db/errors.js';
import {
  decisionContribution,
  requestContribution,
  type Contribution,
  type CountedApproval,
  type CountedDecision,
} from './contribution.js';
import { rollupId, UPGRADE_WRITER } from './insight-keys.js';
import { insightModels, type InsightDayDoc } from './insight.model.js';

/** Applies an update path (`a.refund.t.b3`) to a plain document. */
function applyPath(doc: Record<string, unknown>, path: string, apply: (old: unknown) => unknown) {
  const parts = path.split('.');
  let at = doc;
  for (const part of parts.slice(0, -1)) {
    at[part] ??= {};
    at = at[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] as string;
  at[last] = apply(at[last]);
}

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
  const docs = new Map<string, InsightDayDoc>();
  const add = (contribution: Contribution) => {
    const id = rollupId(contribution.accountId, contribution.day, UPGRADE_WRITER);
    const doc =
      docs.get(id) ??
      ({ _id: id, accountId: contribution.accountId, day: contribution.day, writer: UPGRADE_WRITER } as InsightDayDoc);
    for (const [path, n] of Object.entries(contribution.inc)) {
      applyPath(doc as unknown as Record<string, unknown>, path, (old) => ((old as number | undefined) ?? 0) + n);
    }
    for (const [path, value] of Object.entries(contribution.set)) {
      applyPath(doc as unknown as Record<string, unknown>, path, () => value);
    }
    docs.set(id, doc);
  };
  // Oldest first, so the name an agent last decided under is the one kept.
  for (const approval of [...approvals].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime())) {
    add(requestContribution(approval));
    const decision = decisions.get(approval._id);
    if (decision) add(decisionContribution(approval, decision));
  }
  const { InsightDay } = insightModels(conn);
  for (const doc of docs.values()) {
    const replace = () => InsightDay.collection.replaceOne({ _id: doc._id as never }, doc, { upsert: true });
    // Two processes upgrading at once may both insert it: the second then replaces it with the same.
    await replace().catch((err: unknown) => (isDuplicateKey(err) ? replace() : Promise.reject(err)));
  }
  return docs.size;
}

import type { Connection } from 'mongoose';
import { accountModels } from '../accounts/account.model.js';
import { approvalModels } from '../approvals/approval.model.js';

/** Creates every index the gateway relies on (no TTL, partial or sparse ones: FerretDB v1 lacks them). */
export async function ensureIndexes(conn: Connection) {
  const models = [...Object.values(accountModels(conn)), ...Object.values(approvalModels(conn))];
  for (const model of models) await model.createIndexes();
}

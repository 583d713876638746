import type { Connection } from 'mongoose';
import { accountModels } from './accounts/account.model.js';
import { approvalModels } from './approvals/approval.model.js';
import { auditModels } from './audit/audit-event.model.js';
import { policyModels } from './policies/policy.model.js';

/** Creates every index the gateway relies on (no TTL, partial or sparse ones: FerretDB v1 lacks them). */
export async function ensureIndexes(conn: Connection) {
  const models = [
    ...Object.values(accountModels(conn)),
    ...Object.values(approvalModels(conn)),
    ...Object.values(policyModels(conn)),
    ...Object.values(auditModels(conn)),
  ];
  for (const model of models) await model.createIndexes();
}

import type { Connection } from 'mongoose';
import { PolicySchema, type Policy } from '@cheqpoint/shared';
import { isDuplicateKey } from '../db/errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { sha256Hex } from '../lib/ids.js';
import { policyModels, type PolicyDoc } from './policy.model.js';

/** An account's policy as stored: the parsed rules plus what identifies this version. */
export type StoredPolicy = { policy: Policy; version: number; sha256: string; updatedAt: Date };

function toStored(doc: PolicyDoc): StoredPolicy {
  const parsed = PolicySchema.safeParse(JSON.parse(doc.policyJson));
  if (!parsed.success) {
    throw new Error(`The stored policy of account ${doc._id} (version ${doc.version}) no longer validates`);
  }
  return { policy: parsed.data, version: doc.version, sha256: doc.policySha256, updatedAt: doc.updatedAt };
}

/** Reads and replaces account policies. */
export function policiesRepository(conn: Connection, clock: Clock = systemClock) {
  const { Policy } = policyModels(conn);

  return {
    /** The account's policy, or null when none was set (a person decides everything). */
    async getPolicy(accountId: string): Promise<StoredPolicy | null> {
      const doc = await Policy.findById(accountId).lean<PolicyDoc>();
      return doc ? toStored(doc) : null;
    },

    /**
     * Validates and stores `policy` as the account's new version (throws a ZodError if invalid).
     * Concurrent sets for one account: the last write wins (FerretDB has no atomic compare-and-set).
     */
    async setPolicy(accountId: string, policy: Policy): Promise<StoredPolicy> {
      const parsed = PolicySchema.parse(policy);
      const policyJson = JSON.stringify(parsed);
      const policySha256 = sha256Hex(policyJson);
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await Policy.findById(accountId, { version: 1 }).lean<Pick<PolicyDoc, 'version'>>();
        const stored: StoredPolicy = {
          policy: parsed,
          version: (current?.version ?? 0) + 1,
          sha256: policySha256,
          updatedAt: clock.now(),
        };
        const fields = { policyJson, policySha256, version: stored.version, updatedAt: stored.updatedAt };
        if (current) {
          const result = await Policy.updateOne({ _id: accountId, version: current.version }, { $set: fields });
          if (result.matchedCount > 0) return stored;
          continue;
        }
        try {
          await Policy.collection.insertOne({ _id: accountId, ...fields } as never);
          return stored;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
        }
      }
      throw new Error(`The policy of account ${accountId} is being changed concurrently; retry`);
    },
  };
}
export type PoliciesRepository = ReturnType<typeof policiesRepository>;

import type { Connection } from 'mongoose';
import { newAccountId, newKeyId } from '../lib/ids.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { accountModels, type AccountDoc } from './account.model.js';
import { generateApiKey, generateSigningSecret, hashApiKey, parseApiKey, type KeyScope } from './api-key.js';

/** Defaults for a new account. */
export const ACCOUNT_DEFAULTS = { defaultWaitSeconds: 8, approvalTtlSeconds: 24 * 60 * 60 } as const;

export type CreatedAccount = { accountId: string; flowKey: string; agentKey: string; signingSecret: string };
export type Principal = { accountId: string; keyId: string; scope: KeyScope };

export function accountsService(conn: Connection, clock: Clock = systemClock) {
  const { Account, ApiKey, ApiKeyHash } = accountModels(conn);
  /** Key id by key hash, for keys seen by this process. */
  const keyIds = new Map<string, string>();
  /**
   * Hashes of keys this process found revoked (or presented with another key's scope): final, since a
   * revocation is never undone, so their later use costs no database lookup. Bounded, oldest dropped.
   */
  const refusedHashes = new Set<string>();
  const refuse = (hash: string) => {
    if (refusedHashes.size >= 10_000) refusedHashes.delete(refusedHashes.values().next().value as string);
    refusedHashes.add(hash);
    return null;
  };

  async function createKey(accountId: string, scope: KeyScope) {
    const key = generateApiKey(scope);
    const keyId = newKeyId();
    // The lookup entry first: a key record without one could never authenticate.
    await ApiKeyHash.create({ _id: hashApiKey(key), keyId });
    await ApiKey.create({
      _id: keyId,
      accountId,
      scope,
      hash: hashApiKey(key),
      last4: key.slice(-4),
      createdAt: clock.now(),
      revokedAt: null,
    });
    return { keyId, key, scope };
  }

  return {
    /** Creates an account with one flow key, one agent key and a signing secret, shown once. */
    async createAccount(name: string): Promise<CreatedAccount> {
      const accountId = newAccountId();
      const signingSecret = generateSigningSecret();
      await Account.create({
        _id: accountId,
        name,
        createdAt: clock.now(),
        ...ACCOUNT_DEFAULTS,
        signingSecrets: [{ secret: signingSecret, createdAt: clock.now(), expiresAt: null }],
      });
      const flow = await createKey(accountId, 'flow');
      const agent = await createKey(accountId, 'agent');
      return { accountId, flowKey: flow.key, agentKey: agent.key, signingSecret };
    },

    async listAccounts() {
      const accounts = await Account.find({}, { signingSecrets: 0 }).sort({ createdAt: 1 }).lean();
      const keys = await ApiKey.find({}, { hash: 0 }).lean();
      return accounts.map((a) => ({
        accountId: a._id,
        name: a.name,
        createdAt: a.createdAt.toISOString(),
        keys: keys
          .filter((k) => k.accountId === a._id)
          .map((k) => ({
            keyId: k._id,
            scope: k.scope,
            last4: k.last4,
            createdAt: k.createdAt.toISOString(),
            revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
          })),
      }));
    },

    async getAccount(accountId: string): Promise<AccountDoc | null> {
      return Account.findById(accountId).lean();
    },

    /** Requires (or, with null, stops requiring) Zendesk webhook signatures on inbound calls. */
    async setZendeskWebhookSecret(accountId: string, secret: string | null): Promise<boolean> {
      const result = await Account.updateOne({ _id: accountId }, { $set: { zendeskWebhookSecret: secret } });
      return result.matchedCount > 0;
    },

    async createKey(accountId: string, scope: KeyScope) {
      const exists = await Account.exists({ _id: accountId });
      if (!exists) return null;
      return createKey(accountId, scope);
    },

    /** Revokes a key; it fails on its next request. Returns false for an unknown key. */
    async revokeKey(keyId: string): Promise<boolean> {
      const result = await ApiKey.updateOne({ _id: keyId, revokedAt: null }, { $set: { revokedAt: clock.now() } });
      if (result.matchedCount > 0) return true;
      return (await ApiKey.exists({ _id: keyId })) !== null;
    },

    /** The principal behind a presented key, or null. Malformed keys never reach the database. */
    async authenticate(key: string): Promise<Principal | null> {
      const parsed = parseApiKey(key);
      if (!parsed) return null;
      const hash = hashApiKey(key);
      if (refusedHashes.has(hash)) return null;
      // Which key a hash names never changes (only whether the key is revoked, read every time).
      let keyId = keyIds.get(hash);
      if (keyId === undefined) {
        keyId = (await ApiKeyHash.findById(hash).lean())?.keyId;
        if (keyId !== undefined) {
          if (keyIds.size >= 10_000) keyIds.delete(keyIds.keys().next().value as string);
          keyIds.set(hash, keyId);
        }
      }
      const doc = keyId !== undefined ? await ApiKey.findById(keyId).lean() : null;
      // No record yet is not final: createKey writes the hash entry before the key record.
      if (!doc) return null;
      if (doc.hash !== hash || doc.revokedAt !== null || doc.scope !== parsed.scope) return refuse(hash);
      return { accountId: doc.accountId, keyId: doc._id, scope: doc.scope };
    },
  };
}
export type AccountsService = ReturnType<typeof accountsService>;

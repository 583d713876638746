import { Schema, type Connection, type Model } from 'mongoose';
import { SECRET_NAME_PATTERN } from '@cheqpoint/shared';
import { decryptSecret, encryptSecret, SecretsKeyError } from './secrets-key.js';

/**
 * One account's named secret (`secret set <accountId> <name>`), encrypted: `_id` is `<accountId>:<name>`,
 * so an execution reads the ones it names by key. The value never leaves this module but decrypted
 * into the one request that uses it.
 */
export type SecretDoc = {
  _id: string;
  accountId: string;
  name: string;
  ciphertext: string;
  createdAt: Date;
  updatedAt: Date;
};

const secretSchema = new Schema<SecretDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    name: { type: String, required: true },
    ciphertext: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'account_secrets', strict: 'throw' },
);

const secretModel = (conn: Connection): Model<SecretDoc> =>
  (conn.models['AccountSecret'] as Model<SecretDoc> | undefined) ??
  conn.model<SecretDoc>('AccountSecret', secretSchema);

const idOf = (accountId: string, name: string) => `${accountId}:${name}`;

/** Most bytes of one secret value. */
export const MAX_SECRET_BYTES = 8 * 1024;

/** What `secret list` shows: names and dates, never a value. */
export type SecretInfo = { name: string; createdAt: Date; updatedAt: Date };

export function secretsStore(conn: Connection) {
  const Secret = secretModel(conn);
  return {
    /** Stores (or replaces) a secret; the value is encrypted with `key` before it is written. */
    async set(key: Buffer, accountId: string, name: string, value: string, now: Date): Promise<'created' | 'replaced'> {
      if (!SECRET_NAME_PATTERN.test(name))
        throw new Error(`"${name}" is not a secret name (a-z, 0-9, _ and -, starting with a letter)`);
      if (!value) throw new Error('The secret is empty (it is read from stdin)');
      if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new Error('The secret is longer than 8 KB');
      const id = idOf(accountId, name);
      const existing = await Secret.findById(id, { createdAt: 1 }).lean();
      await Secret.replaceOne(
        { _id: id },
        {
          _id: id,
          accountId,
          name,
          ciphertext: encryptSecret(key, id, value),
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        },
        { upsert: true },
      );
      return existing ? 'replaced' : 'created';
    },

    /** The account's secrets by name (the operator's CLI only: a scan, never on a request path). */
    async list(accountId: string): Promise<SecretInfo[]> {
      const docs = await Secret.find({ accountId }, { name: 1, createdAt: 1, updatedAt: 1 }).lean();
      return docs
        .map((d) => ({ name: d.name, createdAt: d.createdAt, updatedAt: d.updatedAt }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    /** Which of `names` the account has (by key). */
    async existing(accountId: string, names: readonly string[]): Promise<Set<string>> {
      const found = await Promise.all(
        names.map(async (n) => ((await Secret.exists({ _id: idOf(accountId, n) })) ? n : null)),
      );
      return new Set(found.filter((n): n is string => n !== null));
    },

    async delete(accountId: string, name: string): Promise<boolean> {
      return (await Secret.deleteOne({ _id: idOf(accountId, name) })).deletedCount > 0;
    },

    /**
     * The values of `names`, decrypted, by key; a name the account lacks is left out (the caller names
     * it in its error). Throws SecretsKeyError when one cannot be decrypted.
     */
    async reveal(key: Buffer | null, accountId: string, names: readonly string[]): Promise<Map<string, string>> {
      const values = new Map<string, string>();
      for (const name of names) {
        const doc = await Secret.findById(idOf(accountId, name)).lean<SecretDoc>();
        if (!doc) continue;
        if (!key) throw new SecretsKeyError(`secret ${name} cannot be read: CHEQPOINT_SECRETS_KEY is not set`);
        try {
          values.set(name, decryptSecret(key, doc._id, doc.ciphertext));
        } catch (err) {
          throw new SecretsKeyError(`secret ${name} ${(err as Error).message}`);
        }
      }
      return values;
    },

    /**
     * At start: with secrets stored, the key must be set and must read them (one is tried), or the
     * gateway would accept decisions whose executions can only fail. Throws SecretsKeyError saying why.
     */
    async checkKey(key: Buffer | null): Promise<void> {
      const one = await Secret.findOne({}).lean<SecretDoc>();
      if (!one) return;
      if (!key) {
        throw new SecretsKeyError(
          'Secrets are stored (secret set) but CHEQPOINT_SECRETS_KEY is not set: set it to the key they were stored with',
        );
      }
      try {
        decryptSecret(key, one._id, one.ciphertext);
      } catch {
        throw new SecretsKeyError(
          `CHEQPOINT_SECRETS_KEY does not decrypt the stored secrets (secret ${one.name} of ${one.accountId}): set the key they were stored with`,
        );
      }
    },
  };
}
export type SecretsStore = ReturnType<typeof secretsStore>;

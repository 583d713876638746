import { createHash, randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import { findByIds } from '../db/find-by-ids.js';
import { parsePublicKey, SignedUrlError } from './signed-url-token.js';

/**
 * One Zendesk app installation whose signed URLs an account trusts (`zendesk verify`). `_id` is the
 * installation id, so a signed-URL token (whose audience names the installation) finds its account
 * by key, and one installation can belong to one account only. An account with at least one of these
 * attributes decisions only to Zendesk-verified users.
 */
export type ZendeskVerificationDoc = {
  _id: string;
  accountId: string;
  /** The app's public key (PEM), from `GET /api/v2/apps/{app_id}/public_key.pem`. */
  publicKeyPem: string;
  /** When set, the token's subdomain must be this one. */
  subdomain: string | null;
  /** HMAC key of the sessions minted for this installation (never leaves the database). */
  sessionSecret: string;
  createdAt: Date;
  updatedAt: Date;
};

export type VerificationView = Omit<ZendeskVerificationDoc, '_id' | 'sessionSecret' | 'publicKeyPem'> & {
  installationId: string;
  publicKeySha256: string;
};

const verificationSchema = new Schema<ZendeskVerificationDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    publicKeyPem: { type: String, required: true },
    subdomain: { type: String, default: null },
    sessionSecret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'zendesk_verifications', strict: 'throw' },
);

/**
 * Which installations an account trusts (`_id` = account id), so the decision path reads its
 * installations by key (this document, then the installations by id) and never filters by account.
 */
type AccountInstallationsDoc = { _id: string; installationIds: string[] };

const accountInstallationsSchema = new Schema<AccountInstallationsDoc>(
  { _id: { type: String, required: true }, installationIds: { type: [String], default: [] } },
  { versionKey: false, collection: 'zendesk_verification_accounts', strict: 'throw' },
);

function accountInstallationsModel(conn: Connection): Model<AccountInstallationsDoc> {
  return (conn.models['ZendeskVerificationAccount'] ??
    conn.model<AccountInstallationsDoc>(
      'ZendeskVerificationAccount',
      accountInstallationsSchema,
    )) as Model<AccountInstallationsDoc>;
}

function verificationModel(conn: Connection): Model<ZendeskVerificationDoc> {
  return (conn.models['ZendeskVerification'] ??
    conn.model<ZendeskVerificationDoc>('ZendeskVerification', verificationSchema)) as Model<ZendeskVerificationDoc>;
}

export class VerificationError extends Error {}

/** How long a gateway trusts what it read (a `zendesk verify` change applies within this). */
const CACHE_MS = 5_000;

function toView(doc: ZendeskVerificationDoc): VerificationView {
  const key = parsePublicKey(doc.publicKeyPem).export({ type: 'spki', format: 'der' });
  return {
    installationId: doc._id,
    accountId: doc.accountId,
    subdomain: doc.subdomain,
    publicKeySha256: createHash('sha256').update(key).digest('hex'),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** Installations trusted for signed URLs (`zendesk_verifications`, keyed by installation id). */
export function zendeskVerifications(conn: Connection, clock: Clock = systemClock) {
  const Verification = verificationModel(conn);
  const Installations = accountInstallationsModel(conn);
  const byAccount = new Map<string, { docs: ZendeskVerificationDoc[]; at: number }>();

  /** The account's trusted installations, by key (its index document, then each installation by id). */
  async function readAccount(accountId: string): Promise<ZendeskVerificationDoc[]> {
    const index = await Installations.findById(accountId).lean<AccountInstallationsDoc>();
    if (!index || index.installationIds.length === 0) return [];
    const found = await findByIds(Verification, index.installationIds);
    // an installation moved to another account since (verify --off then verify there) is not this one's
    return [...found.values()].filter((doc) => doc.accountId === accountId);
  }

  return {
    async configure(
      accountId: string,
      input: { publicKeyPem: string; installationId: string; subdomain?: string | null },
    ): Promise<VerificationView> {
      if (!/^\d{1,20}$/.test(input.installationId)) {
        throw new VerificationError('--installation-id needs the numeric id of the app installation');
      }
      try {
        parsePublicKey(input.publicKeyPem);
      } catch (err) {
        if (err instanceof SignedUrlError) throw new VerificationError(err.message);
        throw err;
      }
      const subdomain = input.subdomain ? input.subdomain.toLowerCase() : null;
      if (subdomain !== null && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(subdomain)) {
        throw new VerificationError(`"${subdomain}" is not a Zendesk subdomain (e.g. acme)`);
      }
      const existing = await Verification.findById(input.installationId).lean<ZendeskVerificationDoc>();
      if (existing && existing.accountId !== accountId) {
        throw new VerificationError(`Installation ${input.installationId} is already trusted by another account`);
      }
      const now = clock.now();
      const doc: ZendeskVerificationDoc = {
        _id: input.installationId,
        accountId,
        publicKeyPem: input.publicKeyPem.trim(),
        subdomain,
        // a new secret on every configure: sessions minted before it stop working
        sessionSecret: randomBytes(32).toString('base64url'),
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await Verification.replaceOne({ _id: doc._id }, doc, { upsert: true });
      await Installations.updateOne({ _id: accountId }, { $addToSet: { installationIds: doc._id } }, { upsert: true });
      byAccount.delete(accountId);
      return toView(doc);
    },

    /** Stops trusting one installation, or all of the account's; returns how many. */
    async disable(accountId: string, installationId?: string): Promise<number> {
      byAccount.delete(accountId);
      const trustedIds = (await readAccount(accountId)).map((doc) => doc._id);
      const ids = installationId ? trustedIds.filter((id) => id === installationId) : trustedIds;
      for (const id of ids) await Verification.deleteOne({ _id: id, accountId });
      if (installationId)
        await Installations.updateOne({ _id: accountId }, { $pull: { installationIds: installationId } });
      else await Installations.deleteOne({ _id: accountId });
      return ids.length;
    },

    async show(accountId: string): Promise<VerificationView[]> {
      const docs = await readAccount(accountId);
      return docs.map(toView).sort((a, b) => a.installationId.localeCompare(b.installationId));
    },

    async byInstallation(installationId: string): Promise<ZendeskVerificationDoc | null> {
      if (!/^\d{1,20}$/.test(installationId)) return null;
      return Verification.findById(installationId).lean<ZendeskVerificationDoc>();
    },

    /** The account's trusted installations, read at most every few seconds (each decision asks). */
    async ofAccount(accountId: string): Promise<ZendeskVerificationDoc[]> {
      const hit = byAccount.get(accountId);
      const now = clock.now().getTime();
      if (hit && now - hit.at < CACHE_MS) return hit.docs;
      const docs = await readAccount(accountId);
      byAccount.set(accountId, { docs, at: now });
      if (byAccount.size > 10_000) byAccount.delete(byAccount.keys().next().value as string);
      return docs;
    },
  };
}
export type ZendeskVerifications = ReturnType<typeof zendeskVerifications>;

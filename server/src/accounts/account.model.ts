import { Schema, type Connection, type Model } from 'mongoose';
import type { KeyScope } from './api-key.js';

export type SigningSecret = { secret: string; createdAt: Date; expiresAt: Date | null };

export type AccountDoc = {
  _id: string;
  name: string;
  createdAt: Date;
  /** Wait used when a caller names none, in seconds. */
  defaultWaitSeconds: number;
  /** How long a pending approval lives, in seconds. */
  approvalTtlSeconds: number;
  signingSecrets: SigningSecret[];
  /** When set, inbound calls must carry a valid X-Zendesk-Webhook-Signature made with it. */
  zendeskWebhookSecret?: string | null;
};

export type ApiKeyDoc = {
  _id: string;
  accountId: string;
  scope: KeyScope;
  hash: string;
  last4: string;
  createdAt: Date;
  revokedAt: Date | null;
};

const accountSchema = new Schema<AccountDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    createdAt: { type: Date, required: true },
    defaultWaitSeconds: { type: Number, required: true },
    approvalTtlSeconds: { type: Number, required: true },
    signingSecrets: [
      {
        _id: false,
        secret: { type: String, required: true },
        createdAt: { type: Date, required: true },
        expiresAt: { type: Date, default: null },
      },
    ],
    zendeskWebhookSecret: { type: String, default: null },
  },
  { versionKey: false, collection: 'accounts', strict: 'throw' },
);

const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    scope: { type: String, required: true },
    hash: { type: String, required: true },
    last4: { type: String, required: true },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'api_keys', strict: 'throw' },
);
apiKeySchema.index({ hash: 1 }, { unique: true, name: 'hash_unique' });
apiKeySchema.index({ accountId: 1 }, { name: 'account' });

/**
 * A key by what it hashes to: `_id` is the key's SHA-256, so authentication is one lookup by key
 * (then the key record itself, by its id, for revocation and scope) and never a query over all keys.
 */
export type ApiKeyHashDoc = { _id: string; keyId: string };

const apiKeyHashSchema = new Schema<ApiKeyHashDoc>(
  {
    _id: { type: String, required: true },
    keyId: { type: String, required: true },
  },
  { versionKey: false, collection: 'api_key_hashes', strict: 'throw' },
);

export type AccountModels = { Account: Model<AccountDoc>; ApiKey: Model<ApiKeyDoc>; ApiKeyHash: Model<ApiKeyHashDoc> };

export function accountModels(conn: Connection): AccountModels {
  return {
    Account: conn.models['Account'] ?? conn.model<AccountDoc>('Account', accountSchema),
    ApiKey: conn.models['ApiKey'] ?? conn.model<ApiKeyDoc>('ApiKey', apiKeySchema),
    ApiKeyHash: conn.models['ApiKeyHash'] ?? conn.model<ApiKeyHashDoc>('ApiKeyHash', apiKeyHashSchema),
  } as AccountModels;
}

import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { ActionConfig, ActionsFile } from '@cheqpoint/shared';

/**
 * An account's actions (`action set`), `_id` the account id: read by key at intake, which records the
 * approval's action on it (so the plan the sidebar shows is what runs, whatever is set later). Stored
 * as JSON text: header names and body keys may hold dots or `$`, which FerretDB v1 cannot store as keys.
 */
export type ActionConfigsDoc = {
  _id: string;
  actionsJson: string;
  sha256: string;
  version: number;
  updatedAt: Date;
};

const schema = new Schema<ActionConfigsDoc>(
  {
    _id: { type: String, required: true },
    actionsJson: { type: String, required: true },
    sha256: { type: String, required: true },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'action_configs', strict: 'throw' },
);

const model = (conn: Connection): Model<ActionConfigsDoc> =>
  (conn.models['ActionConfigs'] as Model<ActionConfigsDoc> | undefined) ??
  conn.model<ActionConfigsDoc>('ActionConfigs', schema);

export type StoredActions = { file: ActionsFile; version: number; updatedAt: Date; sha256: string };

export function actionConfigs(conn: Connection) {
  const Configs = model(conn);
  return {
    /** Replaces the account's actions (validated by the caller); returns the new version. */
    async set(accountId: string, file: ActionsFile, now: Date): Promise<number> {
      const actionsJson = JSON.stringify(file);
      const existing = await Configs.findById(accountId, { version: 1 }).lean();
      const version = (existing?.version ?? 0) + 1;
      await Configs.replaceOne(
        { _id: accountId },
        {
          _id: accountId,
          actionsJson,
          sha256: createHash('sha256').update(actionsJson).digest('hex'),
          version,
          updatedAt: now,
        },
        { upsert: true },
      );
      return version;
    },

    async get(accountId: string): Promise<StoredActions | null> {
      const doc = await Configs.findById(accountId).lean<ActionConfigsDoc>();
      if (!doc) return null;
      return {
        file: JSON.parse(doc.actionsJson) as ActionsFile,
        version: doc.version,
        updatedAt: doc.updatedAt,
        sha256: doc.sha256,
      };
    },

    /** The configuration of one action of the account, or null (one read by key). */
    async find(accountId: string, action: string): Promise<ActionConfig | null> {
      const stored = await this.get(accountId);
      return stored?.file.actions.find((a) => a.action === action) ?? null;
    },

    async clear(accountId: string): Promise<boolean> {
      return (await Configs.deleteOne({ _id: accountId })).deletedCount > 0;
    },
  };
}
export type ActionConfigs = ReturnType<typeof actionConfigs>;

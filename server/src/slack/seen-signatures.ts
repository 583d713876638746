import { createHash } from 'node:crypto';
import { trusted, type Connection } from 'mongoose';
import { insertUnique } from '../db/insert-unique.js';
import { slackModels } from './slack.model.js';

/**
 * Signatures of interactions already accepted, by hash, shared by every process: a unique insert
 * accepts a signed body once (the arbiter on FerretDB v1, whose filtered updates are not atomic); the
 * same body sent again within the timestamp window (after it, the timestamp refuses it) is a replay.
 */
export function seenSignatures(conn: Connection) {
  const { SlackSeen } = slackModels(conn);
  return {
    /** True the first time this signature is seen; false for a replay. */
    async accept(signature: string, at: Date): Promise<boolean> {
      const _id = createHash('sha256').update(signature).digest('hex');
      return insertUnique(SlackSeen, { _id, at });
    },
    /** Removes signatures older than `before` (their timestamps are refused anyway). */
    async sweep(before: Date): Promise<number> {
      return (await SlackSeen.deleteMany({ at: trusted({ $lt: before }) })).deletedCount;
    },
  };
}
export type SeenSignatures = ReturnType<typeof seenSignatures>;

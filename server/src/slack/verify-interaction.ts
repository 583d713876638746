import { AppError } from '../http/app-error.js';
import type { SlackConnections } from './connections.js';
import type { SeenSignatures } from './seen-signatures.js';
import { isSlackSignature, REFUSAL_DETAIL, signedHeaders, type SignatureRefusal } from './signature.js';
import type { SlackConnectionDoc } from './slack.model.js';

/** An interaction payload as Slack sends it (only what the gateway reads). */
export type InteractionPayload = {
  type?: unknown;
  team?: { id?: unknown };
  user?: { id?: unknown };
  channel?: { id?: unknown };
  container?: { channel_id?: unknown; message_ts?: unknown };
  trigger_id?: unknown;
  actions?: { action_id?: unknown; value?: unknown }[];
  view?: { callback_id?: unknown; private_metadata?: unknown; state?: { values?: unknown } };
};

const refused = (refusal: SignatureRefusal | 'replayed') => new AppError('unauthorized', 401, REFUSAL_DETAIL[refusal]);

/** The `payload` field of Slack's form body, parsed; null when there is none or it is not a JSON object. */
function payloadOf(rawBody: Buffer): InteractionPayload | null {
  const text = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as InteractionPayload) : null;
  } catch {
    return null;
  }
}

/**
 * Takes a request as Slack's, or refuses it with 401 before anything is written: both headers, a
 * timestamp within 5 minutes, then the signature checked with the signing secret of the account the
 * payload's workspace (`team.id`) is connected to (several accounts may share one workspace: the one
 * whose secret signed it), then a signature never accepted before (a replay within the window is
 * refused; the accepted signature is the one thing written).
 */
export async function verifyInteraction(
  deps: { connections: SlackConnections; seen: SeenSignatures },
  rawBody: Buffer,
  headers: { timestamp: string | undefined; signature: string | undefined },
  now: Date,
): Promise<{ connection: SlackConnectionDoc; payload: InteractionPayload }> {
  const signed = signedHeaders(headers.timestamp, headers.signature, now.getTime());
  if (!signed.ok) throw refused(signed.refusal);
  const payload = payloadOf(rawBody);
  const teamId = payload?.team?.id;
  // Nothing unsigned is trusted: a body naming no known workspace cannot be checked, so it is refused alike.
  if (!payload || typeof teamId !== 'string') throw refused('bad-signature');
  const candidates = await deps.connections.findByTeam(teamId);
  const connection = candidates.find((c) =>
    isSlackSignature(c.signingSecret, signed.timestamp, rawBody, signed.signature),
  );
  if (!connection) throw refused('bad-signature');
  if (!(await deps.seen.accept(signed.signature, now))) throw refused('replayed');
  return { connection, payload };
}

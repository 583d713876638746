/** What a shared schema's `safeParse` gives (zod's result), typed here so the app need not import zod. */
type SafeParseResult<T> =
  | { success: true; data: T }
  | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };

/** A shared schema of a gateway reply (InsightsSchema, SuggestionsSchema, …). */
export interface IReplySchema<T> {
  safeParse(reply: unknown): SafeParseResult<T>;
}

/** The parsed reply, or what is wrong with it. */
export type CheckedReply<T> = { data: T } | { issue: string };

/**
 * A reply checked against its shared schema: the parsed data, or the first field it got wrong as
 * `path: message` (`total.timeToDecision.p50Seconds: Invalid input…`), so a gateway of another version is
 * told apart from a broken one when an admin reports it.
 */
export function checkReply<T>(schema: IReplySchema<T>, reply: unknown): CheckedReply<T> {
  const parsed = schema.safeParse(reply);
  if (parsed.success) return { data: parsed.data };
  const first = parsed.error.issues[0];
  const path = first?.path.map(String).join('.') || '(the reply)';
  return { issue: `${path}: ${first?.message ?? 'invalid'}` };
}

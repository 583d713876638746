import { AppError } from '../http/app-error.js';
import type { Clock } from '../lib/clock.js';
import { SESSION_HEADER, peekSession, verifySession } from './agent-sessions.js';
import type { ZendeskVerifications } from './verifications.js';

/** The person a decision is attributed to. */
export type Decider = { id: string; name: string; email?: string; verified: boolean };

const needSession = (detail: string) =>
  new AppError('unauthorized', 401, detail, { errors: [{ path: SESSION_HEADER, message: detail }] });

/**
 * Who decides: on an account that trusts a Zendesk installation's signed URLs (`zendesk verify`), the
 * Zendesk user of the session the app page carries, never the body's `agent` (which must agree with
 * it); on any other account, the body's `agent` as today, labelled unverified.
 */
export function verifiedDeciders(verifications: ZendeskVerifications, clock: Clock) {
  return {
    async resolve(
      accountId: string,
      sessionToken: string | undefined,
      claimed: { id: string; name: string; email?: string | undefined },
    ): Promise<Decider> {
      const installations = await verifications.ofAccount(accountId);
      const unverified = { id: claimed.id, name: claimed.name, ...(claimed.email ? { email: claimed.email } : {}) };
      if (installations.length === 0) return { ...unverified, verified: false };
      if (!sessionToken) {
        throw needSession(
          `This account accepts decisions only from Zendesk-verified agents: send the app's session in the ${SESSION_HEADER} header (open the app from Zendesk again)`,
        );
      }
      const claims = peekSession(sessionToken);
      const installation =
        claims?.accountId === accountId ? installations.find((i) => i._id === claims.installationId) : undefined;
      const session = installation
        ? verifySession(installation.sessionSecret, sessionToken, clock.now().getTime())
        : null;
      if (!session) {
        throw needSession(`The ${SESSION_HEADER} session is invalid or expired: open the app from Zendesk again`);
      }
      const sameEmail = !session.email || !claimed.email || session.email.toLowerCase() === claimed.email.toLowerCase();
      if (claimed.id !== session.userId || !sameEmail) {
        throw new AppError(
          'forbidden',
          403,
          `The claimed identity differs from the Zendesk-verified user (agent.id ${claimed.id}, verified ${session.userId})`,
          { errors: [{ path: 'agent', message: 'The claimed identity differs from the Zendesk-verified user' }] },
        );
      }
      // Only what Zendesk signed is recorded as the verified person; the name falls back to the app's
      // display name when the token carried none (the id is what identifies them).
      return {
        id: session.userId,
        name: session.name ?? claimed.name,
        ...(session.email ? { email: session.email } : {}),
        verified: true,
      };
    },
  };
}
export type VerifiedDeciders = ReturnType<typeof verifiedDeciders>;

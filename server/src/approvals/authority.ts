import { decidersAt, deciderMatch, describeDeciders, type Deciders } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import type { ApprovalDoc } from './approval.model.js';
import { escalatesAt } from './approval.view.js';
import type { ApprovalsContext } from './context.js';

/** The person deciding, as the router resolved them. */
type Decider = { id: string; name: string; verified?: boolean };

const requirementOf = (deciders: Deciders) => ({
  ...(deciders.roles ? { roles: deciders.roles } : {}),
  ...(deciders.groups ? { groups: deciders.groups } : {}),
  ...(deciders.label ? { label: deciders.label } : {}),
});

/** Who may decide, in a 403's words: "members of Team leads or admins". */
function whoMay(deciders: Deciders): string {
  const parts = [
    ...(deciders.roles ?? []).map((role) => `${role}s`),
    ...(deciders.groups ?? []).map((group) => `members of ${group}`),
  ];
  return parts.join(' or ');
}

const unverifiable = (deciders: Deciders, why: string) =>
  new AppError(
    'forbidden',
    403,
    `${describeDeciders(deciders)}: only ${whoMay(deciders)} may decide this approval, and ${why}`,
    {
      body: { reason: 'authority-unverifiable', requirement: requirementOf(deciders) },
      errors: [{ path: 'agent', message: `Cannot check the authority this approval needs: ${why}` }],
    },
  );

/**
 * The authority a decision needs, checked before anything is written: null when the approval's rule
 * asked for none (any agent decides, as before); otherwise what makes the decider one of its deciders
 * (`role:admin`, `group:Team leads`), from the Zendesk-verified identity and what Zendesk says of it
 * now. A body's claim never counts: without a verified identity, or without a Zendesk connection to ask,
 * nobody may decide an approval that needs authority (it fails closed, with a 403 saying why).
 */
export async function assertMayDecide(
  ctx: ApprovalsContext,
  doc: ApprovalDoc,
  decider: Decider,
): Promise<string | null> {
  const deciders = decidersAt(doc.policy, escalatesAt(doc), ctx.clock.now());
  if (!deciders) return null;
  if (decider.verified !== true) {
    throw unverifiable(
      deciders,
      "this account's approvers are not verified by Zendesk (see README, Verified approvers: zendesk verify)",
    );
  }
  const found = await ctx.staff.lookup(doc.accountId, decider.id);
  switch (found.kind) {
    case 'no-connection':
      throw unverifiable(
        deciders,
        'this account has no Zendesk connection to look up roles and groups (see README: zendesk connect)',
      );
    case 'unavailable':
      throw new AppError(
        'zendesk-unavailable',
        503,
        `Could not check the authority this approval needs: Zendesk did not answer (${found.reason}). Try again.`,
        { headers: { 'Retry-After': '5' } },
      );
    case 'unknown':
      throw lacksAuthority(deciders, decider.name, 'not a Zendesk agent or admin');
    case 'found': {
      const match = deciderMatch(deciders, found.member);
      if (match) return match;
      const groups = found.member.groups.length > 0 ? `groups ${found.member.groups.join(', ')}` : 'no groups';
      throw lacksAuthority(deciders, decider.name, `${found.member.role ?? 'no role'}, ${groups}`);
    }
  }
}

function lacksAuthority(deciders: Deciders, name: string, about: string) {
  return new AppError(
    'forbidden',
    403,
    `${describeDeciders(deciders)}: only ${whoMay(deciders)} may decide this approval (${name}: ${about})`,
    {
      body: { reason: 'lacks-authority', requirement: requirementOf(deciders) },
      errors: [{ path: 'agent', message: `${describeDeciders(deciders)} to decide this approval` }],
    },
  );
}

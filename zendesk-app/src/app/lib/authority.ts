import { deciderMatch, decidersAt, type Deciders } from '@cheqpoint/shared';
import type { ApprovalView } from '../api/approval-view';
import type { ICurrentUser } from '../contexts/ClientProvider';
import type { Translate } from './i18n';

/** Who may decide a pending approval right now, and whether the signed-in agent is one of them. */
export interface IAuthority {
  /** The effective deciders (widened once escalated); null when any agent may decide. */
  deciders: Deciders | null;
  /** The signed-in agent may decide, as far as Zendesk's (unverified) currentUser says: display only. */
  mayDecide: boolean;
  /** Pending and past `escalatesAt`. */
  isEscalated: boolean;
}

/**
 * What the card needs to know about approval authority at `now`. The gateway checks the verified identity;
 * this only spares an agent the refusal (and says why the buttons are off).
 */
export function authorityOf(approval: ApprovalView, user: ICurrentUser, now: number): IAuthority {
  const isPending = approval.status === 'pending';
  const deciders = isPending ? decidersAt(approval.policy, approval.escalatesAt, new Date(now)) : null;
  const member = { role: user.role ?? null, groups: user.groups };
  return {
    deciders,
    mayDecide: !deciders || deciderMatch(deciders, member) !== null,
    isEscalated: isPending && !!approval.escalatesAt && Date.parse(approval.escalatesAt) <= now,
  };
}

/**
 * The requirement as agents read it: the rule's own label (the admin's words, shown verbatim), else
 * "Needs an admin or a member of Team leads" in the agent's language (English as describeDeciders says it).
 */
export function requirementText(deciders: Deciders, t: Translate): string {
  if (deciders.label) return deciders.label;
  const parts = [
    ...(deciders.roles ?? []).map((role) => t(role === 'admin' ? 'deciders_admin' : 'deciders_agent')),
    ...(deciders.groups ?? []).map((group) => t('deciders_group', { group })),
  ];
  const last = parts.pop() ?? t('deciders_agent');
  const who = parts.length > 0 ? t('deciders_or', { first: parts.join(', '), last }) : last;
  return t('deciders_needs', { who });
}

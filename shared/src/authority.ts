import type { Deciders, ZendeskStaffRole } from './policy.schema.js';

/** What Zendesk says of a person, as far as authority goes. */
export type StaffMember = { role: string | null; groups: readonly string[] };

/** The part of an approval's recorded verdict authority reads. */
type AuthorityPolicy = {
  deciders?: Deciders | undefined;
  escalation?: { deciders?: Deciders | undefined } | undefined;
};

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const unique = <T>(values: readonly T[], same: (a: T, b: T) => boolean) =>
  values.filter((value, index) => values.findIndex((other) => same(value, other)) === index);

/**
 * Who may decide an approval at `now`: the deciding rule's `deciders`, widened by its escalation's once
 * `escalatesAt` has passed; null when any agent may (no rule asked for authority).
 */
export function decidersAt(
  policy: AuthorityPolicy | null | undefined,
  escalatesAt: string | Date | null | undefined,
  now: Date,
): Deciders | null {
  const base = policy?.deciders;
  if (!base) return null;
  const extra = policy.escalation?.deciders;
  if (!extra || !escalatesAt || new Date(escalatesAt).getTime() > now.getTime()) return base;
  const roles = unique([...(base.roles ?? []), ...(extra.roles ?? [])], (a, b) => a === b);
  const groups = unique([...(base.groups ?? []), ...(extra.groups ?? [])], sameName);
  const label = extra.label ?? (extra.roles || extra.groups ? undefined : base.label);
  return {
    ...(roles.length > 0 ? { roles } : {}),
    ...(groups.length > 0 ? { groups } : {}),
    ...(label ? { label } : {}),
  };
}

/**
 * What makes `member` one of `deciders`: `role:<role>` or `group:<name>` (the first that matches, for
 * the audit trail), or null when they may not decide. An admin has every role (Zendesk's admins are
 * agents with more rights); group names compare without case.
 */
export function deciderMatch(deciders: Deciders, member: StaffMember): string | null {
  const roles = deciders.roles ?? [];
  // Zendesk's admins are agents too: `agent` lets every staff member decide.
  const isRole = member.role === 'admin' ? roles.length > 0 : roles.includes(member.role as ZendeskStaffRole);
  if (member.role && isRole) return `role:${member.role}`;
  for (const group of deciders.groups ?? []) {
    const found = member.groups.find((g) => sameName(g, group));
    if (found !== undefined) return `group:${found}`;
  }
  return null;
}

const ROLE_WORDS: Record<ZendeskStaffRole, string> = { admin: 'an admin', agent: 'an agent' };

/** The requirement in plain English: the rule's `label`, else "Needs an admin or a member of Team leads". */
export function describeDeciders(deciders: Deciders): string {
  if (deciders.label) return deciders.label;
  const parts = [
    ...(deciders.roles ?? []).map((role) => ROLE_WORDS[role]),
    ...(deciders.groups ?? []).map((group) => `a member of ${group}`),
  ];
  const last = parts.pop() ?? 'an agent';
  return `Needs ${parts.length > 0 ? `${parts.join(', ')} or ${last}` : last}`;
}

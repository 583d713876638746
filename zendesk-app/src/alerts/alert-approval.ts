import type { Approval, Deciders } from '@cheqpoint/shared';

/**
 * The part of a gateway approval the alerts read. Parsed by hand, not with the shared zod schema: zod
 * alone is larger than the background and top-bar entries' whole budget (25 kB gzip).
 */
export type AlertApproval = Pick<
  Approval,
  'approvalId' | 'status' | 'action' | 'summary' | 'details' | 'ticketId' | 'expiresAt' | 'escalatesAt'
> & {
  policy: { deciders?: Deciders; escalation?: { deciders?: Deciders } } | null;
  quorum: { required: number; approvals: { agent: { id: string } }[] } | null;
};

export class AlertReplyError extends Error {
  constructor(field: string) {
    super(`The gateway's approval has no valid ${field}`);
    this.name = 'AlertReplyError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function text(raw: Record<string, unknown>, field: string): string {
  const value = raw[field];
  if (typeof value !== 'string') throw new AlertReplyError(field);
  return value;
}

function nullableText(raw: Record<string, unknown>, field: string): string | null {
  const value = raw[field] ?? null;
  if (value !== null && typeof value !== 'string') throw new AlertReplyError(field);
  return value;
}

function instant(raw: Record<string, unknown>, field: string): string {
  const value = text(raw, field);
  if (Number.isNaN(Date.parse(value))) throw new AlertReplyError(field);
  return value;
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;

/** A rule's `deciders` as far as authority reads them (roles, groups, label); anything else is dropped. */
function decidersOf(value: unknown): Deciders | undefined {
  if (!isObject(value)) return undefined;
  const roles = strings(value['roles'])?.filter((role) => role === 'admin' || role === 'agent');
  const groups = strings(value['groups']);
  const label = typeof value['label'] === 'string' ? value['label'] : undefined;
  return {
    ...(roles && roles.length > 0 ? { roles } : {}),
    ...(groups && groups.length > 0 ? { groups } : {}),
    ...(label ? { label } : {}),
  } as Deciders;
}

function policyOf(value: unknown): AlertApproval['policy'] {
  if (!isObject(value)) return null;
  const deciders = decidersOf(value['deciders']);
  const escalation = isObject(value['escalation']) ? decidersOf(value['escalation']['deciders']) : undefined;
  return {
    ...(deciders ? { deciders } : {}),
    ...(escalation ? { escalation: { deciders: escalation } } : {}),
  };
}

function quorumOf(value: unknown): AlertApproval['quorum'] {
  if (!isObject(value)) return null;
  const required = value['required'];
  if (typeof required !== 'number' || !Array.isArray(value['approvals'])) throw new AlertReplyError('quorum');
  const approvals = value['approvals'].map((vote: unknown) => {
    const id = isObject(vote) && isObject(vote['agent']) ? vote['agent']['id'] : undefined;
    if (typeof id !== 'string') throw new AlertReplyError('quorum');
    return { agent: { id } };
  });
  return { required, approvals };
}

/** A gateway approval (`GET /api/approvals/:id`, one of a list's) as the alerts read it; throws on a bad reply. */
export function parseAlertApproval(raw: unknown): AlertApproval {
  if (!isObject(raw)) throw new AlertReplyError('body');
  const status = text(raw, 'status') as Approval['status'];
  const details = raw['details'];
  if (!isObject(details)) throw new AlertReplyError('details');
  return {
    approvalId: text(raw, 'approvalId'),
    status,
    action: text(raw, 'action'),
    summary: text(raw, 'summary'),
    details,
    ticketId: nullableText(raw, 'ticketId'),
    expiresAt: instant(raw, 'expiresAt'),
    escalatesAt: nullableText(raw, 'escalatesAt'),
    policy: policyOf(raw['policy']),
    quorum: quorumOf(raw['quorum']),
  } as AlertApproval;
}

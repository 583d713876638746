import { sha256Hex } from '../lib/ids.js';
import type { AuditActor, AuditEventType } from './audit-event.model.js';

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace, so equal values always
 * serialise to the same bytes (RFC 8785 for the JSON the gateway stores). Undefined members are left out.
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The fields an event's hash covers. */
export type ChainedEvent = {
  approvalId: string;
  accountId: string;
  seq: number;
  type: AuditEventType;
  actor: AuditActor;
  at: Date;
  /** Canonical JSON of the data. */
  data: string;
  prevHash: string | null;
  hash: string;
};

/** SHA-256 (hex) of the canonical JSON of the event without its own hash (`at` as ISO 8601). */
export function eventHash(event: Omit<ChainedEvent, 'hash'>): string {
  const actor: AuditActor = { type: event.actor.type };
  if (typeof event.actor.id === 'string') actor.id = event.actor.id;
  if (typeof event.actor.name === 'string') actor.name = event.actor.name;
  if (typeof event.actor.verified === 'boolean') actor.verified = event.actor.verified;
  return sha256Hex(
    canonicalJson({
      accountId: event.accountId,
      actor,
      approvalId: event.approvalId,
      at: event.at.toISOString(),
      data: event.data,
      prevHash: event.prevHash,
      seq: event.seq,
      type: event.type,
    }),
  );
}

export type ChainCheck = { ok: true; count: number } | { ok: false; count: number; brokenAt: number; reason: string };

/**
 * Checks one approval's events, sorted by seq: seq runs 1, 2, 3 … without gaps, each event's
 * prevHash is the previous event's hash, and each hash matches the event's content.
 * `brokenAt` is the first position (seq) where this fails.
 */
export function verifyChain(events: readonly ChainedEvent[]): ChainCheck {
  const count = events.length;
  let prev: ChainedEvent | null = null;
  for (const [index, event] of events.entries()) {
    const position = index + 1;
    const broken = (reason: string): ChainCheck => ({ ok: false, count, brokenAt: position, reason });
    if (event.seq !== position) {
      return broken(
        event.seq > position
          ? `event ${position} is missing (the next stored event is ${event.seq})`
          : `event ${event.seq} appears again or out of order at position ${position}`,
      );
    }
    if (prev && (event.approvalId !== prev.approvalId || event.accountId !== prev.accountId)) {
      return broken(`event ${position} belongs to another approval or account`);
    }
    if (event.prevHash !== (prev ? prev.hash : null)) {
      return broken(
        prev
          ? `event ${position} does not point at the hash of event ${position - 1}`
          : 'event 1 points at an earlier event that does not exist',
      );
    }
    if (eventHash(event) !== event.hash) return broken(`event ${position} was changed after it was written`);
    prev = event;
  }
  return { ok: true, count };
}

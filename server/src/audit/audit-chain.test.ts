import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, verifyChain, type ChainedEvent } from './audit-chain.js';

function chain(length: number): ChainedEvent[] {
  const events: ChainedEvent[] = [];
  for (let seq = 1; seq <= length; seq++) {
    const unhashed = {
      approvalId: 'apr_1',
      accountId: 'acc_1',
      seq,
      type: 'callback_attempted' as const,
      actor: { type: 'system' as const },
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      data: canonicalJson({ attempt: seq }),
      prevHash: events.at(-1)?.hash ?? null,
    };
    events.push({ ...unhashed, hash: eventHash(unhashed) });
  }
  return events;
}

describe('Audit hash chain', () => {
  it('When values differ only in key order or undefined members, then their canonical JSON is identical', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined, w: 'é' }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"w":"é","y":2}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([undefined, new Date(0)])).toBe('[null,"1970-01-01T00:00:00.000Z"]');
  });

  it('When an intact chain is verified, then it is ok with its length', () => {
    expect(verifyChain(chain(5))).toEqual({ ok: true, count: 5 });
    expect(verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  it('When an event is changed after writing, then verification breaks at that event', () => {
    const events = chain(4);
    events[2] = { ...events[2]!, data: canonicalJson({ attempt: 99 }) };
    expect(verifyChain(events)).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: 'event 3 was changed after it was written',
    });
    const actorChanged = chain(2);
    actorChanged[0] = { ...actorChanged[0]!, actor: { type: 'admin', name: 'mallory' } };
    expect(verifyChain(actorChanged)).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('When an event is rewritten with a fresh hash, then the next event no longer points at it', () => {
    const events = chain(3);
    const forged = { ...events[1]!, data: canonicalJson({ attempt: 0 }) };
    events[1] = { ...forged, hash: eventHash(forged) };
    expect(verifyChain(events)).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('When a middle or first event is missing, then the gap is reported', () => {
    const events = chain(5);
    expect(verifyChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: 'event 3 is missing (the next stored event is 4)',
    });
    expect(verifyChain(events.slice(1))).toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('When events are duplicated or reordered, then verification fails', () => {
    const events = chain(3);
    expect(verifyChain([events[0]!, events[0]!, events[1]!])).toMatchObject({ ok: false, brokenAt: 2 });
    expect(verifyChain([events[0]!, events[2]!, events[1]!])).toMatchObject({ ok: false, brokenAt: 2 });
  });
});

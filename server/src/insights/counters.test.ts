import { describe, expect, it } from 'vitest';
import { addCounters, applyContribution, sumCounters } from './counters.js';
import { requestContribution } from './contribution.js';

describe('Insight counters keyed by what callers sent', () => {
  it('When an action, agent or field is named __proto__ or constructor, then it is counted as its own key and no prototype changes', () => {
    const counters: Record<string, unknown> = {};
    applyContribution(
      counters,
      { 'a.__proto__.rq': 1, 'a.constructor.rq': 2, 'a.__proto__.g.constructor.ua': 1 },
      { 'nm.__proto__': 'Ada' },
    );
    const { inc } = requestContribution({
      accountId: 'acc',
      action: '__proto__',
      createdAt: new Date('2026-12-07T10:00:00Z'),
      detailsJson: '{}',
    });
    applyContribution(counters, inc, {});

    const stored = JSON.parse(JSON.stringify(counters)) as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.hasOwn(stored.a ?? {}, '__proto__')).toBe(true);
    expect(stored.a?.['constructor']).toEqual({ rq: 2 });
    const summed = sumCounters([
      stored.a?.['__proto__'] as never,
      JSON.parse('{"__proto__":{"ua":1},"rq":1}') as never,
    ]) as Record<string, unknown>;
    expect(summed.rq).toBe(2 + 1);
    expect(Object.hasOwn(summed, '__proto__')).toBe(true);

    const into: Record<string, unknown> = {};
    addCounters(into, JSON.parse('{"__proto__":{"rq":5},"constructor":{"rq":1}}') as Record<string, unknown>);
    expect(Object.hasOwn(into, '__proto__')).toBe(true);

    const plain: Record<string, unknown> = {};
    expect(plain.rq).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('rq');
    expect(Object).not.toHaveProperty('rq');
    expect(Object.getPrototypeOf(counters)).toBe(Object.prototype);
  });
});

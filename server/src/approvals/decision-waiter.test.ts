import { describe, expect, it } from 'vitest';
import { DecisionWaiter } from './decision-waiter.js';

const waiter = (maxWaiters = 10) => new DecisionWaiter({ maxWaiters });

describe('DecisionWaiter', () => {
  it('When a decision is published, then every waiter of that approval is released and no other', async () => {
    const w = waiter();
    const a1 = w.subscribe('a', 5_000);
    const a2 = w.subscribe('a', 5_000);
    const b = w.subscribe('b', 50);
    w.publish('a');
    expect(await a1.done).toBe('signalled');
    expect(await a2.done).toBe('signalled');
    expect(await b.done).toBe('timeout');
    expect(w.count).toBe(0);
  });

  it('When a publish carries the decision, then the released waiters get it; a release from the feed carries none', async () => {
    const w = new DecisionWaiter<{ outcome: string }>({ maxWaiters: 10 });
    const local = w.subscribe('local', 5_000);
    const announced = w.subscribe('announced', 5_000);
    w.publish('local', { outcome: 'approved' });
    w.publish('local', { outcome: 'late' }); // no one left to release: changes nothing
    w.publish('announced');
    expect(await local.done).toBe('signalled');
    expect(local.payload()).toEqual({ outcome: 'approved' });
    expect(await announced.done).toBe('signalled');
    expect(announced.payload()).toBeUndefined();
  });

  it('When the signal aborts, the room is full or shutdown begins, then waits end and no listener leaks', async () => {
    const w = waiter(2);
    const controller = new AbortController();
    const aborted = w.subscribe('a', 5_000, controller.signal);
    const held = w.subscribe('b', 5_000);
    expect(w.hasRoom).toBe(false);
    controller.abort();
    expect(await aborted.done).toBe('aborted');
    w.closeAll();
    expect(await held.done).toBe('closing');
    expect(await w.subscribe('c', 5_000).done).toBe('closing');
    expect(w.count).toBe(0);
    expect(w.hasRoom).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { ApprovalChange } from './approval-changes.js';
import { ListWatch } from './list-watch.js';

const base = { approvalId: 'apr_1', accountId: 'acc_1', ticketId: '9921', action: 'cancel_subscription' };
const executed: ApprovalChange = { kind: 'executed', ...base, cause: 'attempt' };
const decided: ApprovalChange = { kind: 'decided', ...base, outcome: 'approved' };

const ticket = { accountId: 'acc_1', ticketId: '9921' };
const queue = { accountId: 'acc_1', pendingOnly: true };
const decidedList = { accountId: 'acc_1', pendingOnly: false };

/** Holds `scope` and tells whether it was woken once `act` ran (the hold is then let go). */
async function wokenBy(watch: ListWatch, scope: Parameters<ListWatch['hold']>[0], act: () => void) {
  const abort = new AbortController();
  let isWoken = false;
  const held = watch.hold(scope, 60_000, abort.signal).then(() => (isWoken = !abort.signal.aborted));
  act();
  await new Promise((resolve) => setImmediate(resolve)); // every wake has run by then
  const result = isWoken;
  abort.abort();
  await held;
  return result;
}

describe('ListWatch', () => {
  it('When an execution changes, then held ticket lists and lists of decided approvals wake; the queue (pending only) does not', async () => {
    const watch = new ListWatch({ hasRoom: () => true });
    let seq = 0;
    expect(await wokenBy(watch, ticket, () => watch.onChange(executed, ++seq))).toBe(true);
    expect(await wokenBy(watch, decidedList, () => watch.onChange(executed, ++seq))).toBe(true);
    expect(await wokenBy(watch, queue, () => watch.onChange(executed, ++seq))).toBe(false);
    // A decision still wakes the queue: the approval leaves it.
    expect(await wokenBy(watch, queue, () => watch.onChange(decided, ++seq))).toBe(true);
    expect(watch.count).toBe(0);
  });

  it('When only an execution changed after a cursor, then the queue has nothing new and a ticket list has', () => {
    const watch = new ListWatch({ hasRoom: () => true });
    watch.onChange(decided, 1);
    watch.onChange(executed, 2);
    expect(watch.hasChangedSince(queue, 1)).toBe(false);
    expect(watch.hasChangedSince(ticket, 1)).toBe(true);
    expect(watch.hasChangedSince(queue, 0)).toBe(true);
  });
});

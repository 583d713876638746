/**
 * One alert per approval per agent, however many Zendesk tabs run the background location: each tab's
 * instance claims `approval + agent` before it notifies, and only the first claim wins.
 *
 * The claim is a localStorage entry written under a Web Lock of the same name. The app's iframes of every
 * tab share one origin (the app's) and one top-level site (the Zendesk account), so they share both; the
 * lock makes "read, then write" one step across tabs, which localStorage alone cannot (two tabs could both
 * read "absent"). The entry outlives the tab, so a tab opened later does not alert again.
 */

const PREFIX = 'cheqpoint.alerted.';
/** Claims older than this are dropped when a new one is written (approvals last at most a few days). */
const KEEP_MS = 8 * 24 * 60 * 60 * 1000;

type LockManager = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

const keyOf = (approvalId: string, agentId: string) => `${PREFIX}${approvalId}.${agentId}`;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked (third-party storage off): every tab alerts, better than none
  }
}

function prune(store: Storage, now: number) {
  for (let index = store.length - 1; index >= 0; index -= 1) {
    const key = store.key(index);
    if (key?.startsWith(PREFIX) && now - Number(store.getItem(key)) > KEEP_MS) store.removeItem(key);
  }
}

function claimIn(store: Storage, key: string, now: number): boolean {
  if (store.getItem(key) !== null) return false;
  store.setItem(key, String(now));
  prune(store, now);
  return true;
}

/** True for the one instance (of any tab) that should alert `agentId` about `approvalId`; false for the rest. */
export async function claimAlert(approvalId: string, agentId: string, now = Date.now()): Promise<boolean> {
  const store = storage();
  if (!store) return true;
  const key = keyOf(approvalId, agentId);
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  if (locks) return locks.request(key, async () => claimIn(store, key, now));
  return claimIn(store, key, now); // no Web Locks: rare double alerts across tabs remain possible
}

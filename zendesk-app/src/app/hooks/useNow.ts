import { useEffect, useState } from 'react';
import type { ApprovalView } from '../api/approval-view';

/** Tick while nothing is about to expire (relative times like "5 minutes ago" stay true enough). */
export const CALM_TICK_MS = 15_000;
/** Tick in the last minute before an expiry, so the countdown counts seconds and expiry lands on time. */
export const FAST_TICK_MS = 1_000;
const LAST_MINUTE_MS = 60_000;

/** How long until the next tick: every second within a minute of the nearest expiry, else until then. */
export function nextTickMs(deadlines: readonly number[], now: number): number {
  let delay = CALM_TICK_MS;
  for (const deadline of deadlines) {
    const left = deadline - now;
    if (left <= -FAST_TICK_MS) continue; // long past: nothing left to count
    if (left <= LAST_MINUTE_MS) return FAST_TICK_MS;
    delay = Math.min(delay, left - LAST_MINUTE_MS);
  }
  return Math.max(FAST_TICK_MS, delay);
}

/**
 * What the time must be re-read for: pending approvals' expiries and escalations (at `escalatesAt` wider
 * deciders may turn a card's buttons on).
 */
export const deadlinesOf = (approvals: readonly ApprovalView[]): string[] =>
  approvals
    .filter((a) => a.status === 'pending')
    .flatMap((a) => (a.escalatesAt ? [a.expiresAt, a.escalatesAt] : [a.expiresAt]));

/**
 * The current time, re-read when the deadlines change (so a list that just arrived shows true relative
 * times at once) and on a timer that ticks every second only while something is within a minute of expiry.
 */
export function useNow(deadlines: readonly string[] = []): number {
  const [now, setNow] = useState(() => Date.now());
  const key = deadlines.join('|');
  useEffect(() => {
    const times = key ? key.split('|').map((iso) => Date.parse(iso)) : [];
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const current = Date.now();
      setNow(current);
      timer = setTimeout(tick, nextTickMs(times, current));
    };
    tick();
    return () => clearTimeout(timer);
  }, [key]);
  return now;
}

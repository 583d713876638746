import type { Clock } from '../../server/src/lib/clock.js';

/** A clock tests can move forward; it follows real time between moves. */
export function movableClock(): Clock & { advance: (ms: number) => void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

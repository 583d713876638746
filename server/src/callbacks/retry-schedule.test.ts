import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_SCHEDULE_MS,
  MAX_RETRY_AFTER_MS,
  nextStep,
  parseRetryAfter,
  parseSchedule,
  withJitter,
  type AttemptResult,
} from './retry-schedule.js';

const now = new Date('2026-01-01T00:00:00Z');
const fixed = (r: number) => ({ scheduleMs: DEFAULT_RETRY_SCHEDULE_MS, random: () => r });
const response = (status: number, retryAfter: string | null = null): AttemptResult => ({
  kind: 'response',
  status,
  retryAfter,
  bodySnippet: '',
});
const delayOf = (step: ReturnType<typeof nextStep>) =>
  step.state === 'pending' ? step.nextAttemptAt.getTime() - now.getTime() : null;

describe('The retry schedule', () => {
  it('When the default schedule is summed, then it spans about a day over 10 attempts', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toHaveLength(9);
    const hours = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(20);
    expect(hours).toBeLessThan(28);
  });

  it('When the jitter draws its extremes, then the delay stays within ±20 %', () => {
    expect(withJitter(10_000, () => 0)).toBe(8_000);
    expect(withJitter(10_000, () => 0.5)).toBe(10_000);
    expect(withJitter(10_000, () => 0.999999)).toBeLessThanOrEqual(12_000);
    expect(withJitter(10_000, () => 0.999999)).toBeGreaterThan(11_999);
  });

  it('When attempt k fails with 500, then the next is due after schedule[k-1] and after the last it is dead', () => {
    for (let attempt = 1; attempt <= DEFAULT_RETRY_SCHEDULE_MS.length; attempt++) {
      const step = nextStep(response(500), attempt, now, fixed(0.5));
      expect(step.state).toBe('pending');
      expect(delayOf(step)).toBe(DEFAULT_RETRY_SCHEDULE_MS[attempt - 1]);
      expect(step.lastError).toBe('HTTP 500');
    }
    expect(nextStep(response(500), 10, now, fixed(0.5))).toEqual({ state: 'dead', lastError: 'HTTP 500' });
  });

  it('When the receiver answers 2xx, then it is delivered; 410 is gone; 3xx and 404 retry', () => {
    expect(nextStep(response(200), 1, now, fixed(0.5)).state).toBe('delivered');
    expect(nextStep(response(204), 3, now, fixed(0.5)).state).toBe('delivered');
    expect(nextStep(response(410), 1, now, fixed(0.5)).state).toBe('gone');
    const redirect = nextStep(response(302), 1, now, fixed(0.5));
    expect(redirect).toMatchObject({ state: 'pending', lastError: 'HTTP 302 (redirects are not followed)' });
    expect(nextStep(response(404), 1, now, fixed(0.5)).state).toBe('pending');
  });

  it('When 429 or 503 carries Retry-After, then it sets the next attempt, capped at an hour; 500 ignores it', () => {
    expect(delayOf(nextStep(response(429, '120'), 1, now, fixed(0.5)))).toBe(120_000);
    expect(delayOf(nextStep(response(503, '99999'), 1, now, fixed(0.5)))).toBe(MAX_RETRY_AFTER_MS);
    const date = new Date(now.getTime() + 90_000).toUTCString();
    expect(delayOf(nextStep(response(503, date), 1, now, fixed(0.5)))).toBe(90_000);
    expect(delayOf(nextStep(response(500, '120'), 1, now, fixed(0.5)))).toBe(5_000);
    expect(delayOf(nextStep(response(429, 'soon'), 1, now, fixed(0.5)))).toBe(5_000);
  });

  it('When the address is blocked, then it stops at once; when a shutdown interrupts it, then it is due again now', () => {
    const blocked = nextStep({ kind: 'error', reason: 'blocked', message: 'Blocked: x' }, 1, now, fixed(0.5));
    expect(blocked).toEqual({ state: 'blocked', lastError: 'Blocked: x' });
    const interrupted = nextStep({ kind: 'error', reason: 'interrupted', message: 'i' }, 10, now, fixed(0.5));
    expect(delayOf(interrupted)).toBe(0);
    for (const reason of ['timeout', 'network', 'dns'] as const) {
      expect(nextStep({ kind: 'error', reason, message: reason }, 2, now, fixed(0.5)).state).toBe('pending');
    }
  });

  it('When Retry-After or a schedule is written in the supported forms, then they parse; otherwise not', () => {
    expect(parseRetryAfter('  7 ', now)).toBe(7_000);
    expect(parseRetryAfter('-1', now)).toBeNull();
    expect(parseRetryAfter(new Date(now.getTime() - 5_000).toUTCString(), now)).toBe(0);
    expect(parseSchedule('500ms, 5s,1m,2h')).toEqual([500, 5_000, 60_000, 7_200_000]);
    expect(() => parseSchedule('5 s')).toThrow(/not a delay/);
    expect(() => parseSchedule('')).toThrow(/at least one/);
  });
});

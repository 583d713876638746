import { describe, expect, it } from 'vitest';
import { zendeskStep } from './zendesk-retry.js';

const now = new Date('2026-12-01T12:00:00Z');
const options = { scheduleMs: [5_000, 30_000], random: () => 0.5 };
const response = (status: number, retryAfter: string | null = null) =>
  ({ kind: 'response', status, retryAfter }) as const;

describe('zendeskStep', () => {
  it('When Zendesk answers 2xx, then the effect is done', () => {
    expect(zendeskStep(response(200), 1, now, options)).toEqual({ state: 'done' });
    expect(zendeskStep(response(204), 3, now, options)).toEqual({ state: 'done' });
  });

  it('When Zendesk answers 429 with Retry-After, then the next attempt waits that long', () => {
    expect(zendeskStep(response(429, '7'), 1, now, options)).toEqual({
      state: 'retry',
      nextAttemptAt: new Date(now.getTime() + 7_000),
      error: 'HTTP 429',
    });
  });

  it('When Zendesk answers 5xx or cannot be reached, then the next attempt follows the schedule', () => {
    expect(zendeskStep(response(503), 2, now, options)).toMatchObject({
      state: 'retry',
      nextAttemptAt: new Date(now.getTime() + 30_000),
    });
    expect(zendeskStep({ kind: 'error', message: 'network error: ECONNREFUSED' }, 1, now, options)).toEqual({
      state: 'retry',
      nextAttemptAt: new Date(now.getTime() + 5_000),
      error: 'network error: ECONNREFUSED',
    });
  });

  it('When Zendesk answers another 4xx or a redirect, then the effect is given up at once', () => {
    for (const status of [400, 401, 403, 404, 422, 302]) {
      expect(zendeskStep(response(status), 1, now, options)).toEqual({ state: 'failed', error: `HTTP ${status}` });
    }
  });

  it('When the schedule is used up, then a transient failure is given up too', () => {
    expect(zendeskStep(response(503), 3, now, options)).toEqual({ state: 'failed', error: 'HTTP 503' });
  });
});

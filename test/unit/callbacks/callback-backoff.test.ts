import { describe, expect, it } from 'vitest';
import { callbackDelayMs, parseRetryAfter } from '../../../src/callbacks/index.js';

const SCHEDULE = [0, 5_000, 300_000, 86_400_000];

describe('callback retry schedule (issue 15)', () => {
  it('follows the schedule with ±10% jitter', () => {
    expect(callbackDelayMs(1, SCHEDULE, undefined, () => 0)).toBe(4_500);
    expect(callbackDelayMs(1, SCHEDULE, undefined, () => 1)).toBe(5_500);
    expect(callbackDelayMs(2, SCHEDULE, undefined, () => 0.5)).toBe(300_000);
    expect(callbackDelayMs(9, SCHEDULE, undefined, () => 0.5)).toBe(86_400_000);
  });

  it("honours the receiver's Retry-After, bounded by the schedule's cap", () => {
    expect(callbackDelayMs(1, SCHEDULE, 120_000)).toBe(120_000);
    expect(callbackDelayMs(1, SCHEDULE, 7 * 86_400_000)).toBe(86_400_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

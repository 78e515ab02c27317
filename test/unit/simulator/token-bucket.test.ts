import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../src/simulator/rate-limiter.js';
import { TokenBucket } from '../../../src/simulator/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst of one second worth of tokens, then refuses', () => {
    const b = new TokenBucket(5, 1000);
    const taken = Array.from({ length: 7 }, () => b.take(1000));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
  });

  it('refills continuously at the rate', () => {
    const b = new TokenBucket(10, 0);
    for (let i = 0; i < 10; i += 1) b.take(0);
    expect(b.take(50)).toBe(false); // 0.5 token
    expect(b.take(100)).toBe(true); // 1 token after 100 ms
    expect(b.take(100)).toBe(false);
    expect(b.available(350)).toBeCloseTo(2.5);
  });

  it('never holds more than its capacity', () => {
    const b = new TokenBucket(3, 0);
    expect(b.available(60_000)).toBe(3);
    const taken = Array.from({ length: 4 }, () => b.take(60_000));
    expect(taken).toEqual([true, true, true, false]);
  });

  it('ignores a clock that goes backwards', () => {
    const b = new TokenBucket(1, 1000);
    expect(b.take(1000)).toBe(true);
    expect(b.take(500)).toBe(false);
    expect(b.take(1999)).toBe(false);
    expect(b.take(2000)).toBe(true);
  });
});

describe('createRateLimiter', () => {
  it('keeps one bucket per App ID and call class', () => {
    const l = createRateLimiter({ createRps: 1, deleteRps: 2, queryRps: 1 });
    expect([l.take('a', 'delete', 0), l.take('a', 'delete', 0), l.take('a', 'delete', 0)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(l.take('a', 'query', 0)).toBe(true);
    expect(l.take('a', 'create', 0)).toBe(true);
    expect(l.take('b', 'delete', 0)).toBe(true);
  });

  it('treats 0 as unlimited', () => {
    const l = createRateLimiter({ createRps: 0, deleteRps: 0, queryRps: 0 });
    for (let i = 0; i < 10_000; i += 1) expect(l.take('a', 'delete', 0)).toBe(true);
  });

  it('applies new limits at once with fresh buckets', () => {
    const l = createRateLimiter({ createRps: 50, deleteRps: 1, queryRps: 100 });
    l.take('a', 'delete', 0);
    expect(l.take('a', 'delete', 0)).toBe(false);
    l.setLimits({ deleteRps: 2 });
    expect(l.limits()).toEqual({ createRps: 50, deleteRps: 2, queryRps: 100 });
    expect([l.take('a', 'delete', 0), l.take('a', 'delete', 0), l.take('a', 'delete', 0)]).toEqual([
      true,
      true,
      false,
    ]);
    l.reset({ createRps: 1, deleteRps: 1, queryRps: 1 });
    expect(l.take('a', 'delete', 0)).toBe(true);
  });
});

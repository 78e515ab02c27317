import { describe, expect, it } from 'vitest';
import {
  computeBackoffMs,
  createBackoffStrategy,
  findRetryAfterMs,
} from '../../../src/worker/backoff.js';

const opts = { baseMs: 1000, maxMs: 60_000 };

/** A deterministic uniform source (LCG) so distribution checks never flake. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('computeBackoffMs', () => {
  it('grows exponentially from baseMs: attempt n is capped at base · 2^(n−1)', () => {
    const top = () => 1; // the cap itself
    expect(computeBackoffMs(1, undefined, { ...opts, random: top })).toBe(1000);
    expect(computeBackoffMs(2, undefined, { ...opts, random: top })).toBe(2000);
    expect(computeBackoffMs(3, undefined, { ...opts, random: top })).toBe(4000);
    expect(computeBackoffMs(6, undefined, { ...opts, random: top })).toBe(32_000);
  });

  it('never exceeds maxMs, however many attempts', () => {
    const top = () => 1;
    for (const attempt of [7, 10, 53, 100, 1e6, Number.MAX_SAFE_INTEGER]) {
      expect(computeBackoffMs(attempt, undefined, { ...opts, random: top })).toBe(60_000);
    }
  });

  it('the cap grows monotonically with the attempt number', () => {
    const top = () => 1;
    let previous = 0;
    for (let attempt = 1; attempt <= 40; attempt++) {
      const cap = computeBackoffMs(attempt, undefined, { ...opts, random: top });
      expect(cap).toBeGreaterThanOrEqual(previous);
      previous = cap;
    }
    expect(previous).toBe(60_000);
  });

  it('uses full jitter: uniform over [0, cap], spread across the whole range', () => {
    const random = seeded(42);
    const samples = Array.from({ length: 4000 }, () =>
      computeBackoffMs(4, new Error('503'), { ...opts, random }),
    );
    const cap = 8000;
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(cap);
    // Uniform: every quarter of the range gets about a quarter of the samples.
    for (let q = 0; q < 4; q++) {
      const inQuarter = samples.filter((s) => s >= (q * cap) / 4 && s < ((q + 1) * cap) / 4);
      expect(inQuarter.length).toBeGreaterThan(800);
      expect(inQuarter.length).toBeLessThan(1200);
    }
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(cap * 0.45);
    expect(mean).toBeLessThan(cap * 0.55);
  });

  it('with the default random source stays within [0, cap]', () => {
    for (let i = 0; i < 500; i++) {
      const d = computeBackoffMs(3, undefined, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(4000);
      expect(Number.isInteger(d)).toBe(true);
    }
  });

  it("an error's retryAfterMs wins, plus at most 10% jitter", () => {
    const err = Object.assign(new Error('429'), { retryAfterMs: 5000 });
    expect(computeBackoffMs(1, err, { ...opts, random: () => 0 })).toBe(5000);
    expect(computeBackoffMs(1, err, { ...opts, random: () => 0.999999 })).toBe(5500);
    const random = seeded(7);
    for (let i = 0; i < 200; i++) {
      const d = computeBackoffMs(9, err, { ...opts, random });
      expect(d).toBeGreaterThanOrEqual(5000);
      expect(d).toBeLessThanOrEqual(5500);
    }
  });

  it('retryAfterMs is not cut to maxMs but is capped at 2 × maxMs', () => {
    const small = { baseMs: 100, maxMs: 1000, random: () => 0 };
    expect(computeBackoffMs(1, { retryAfterMs: 1500 }, small)).toBe(1500);
    expect(computeBackoffMs(1, { retryAfterMs: 3_600_000 }, small)).toBe(2000);
  });

  it('retryAfterMaxMs (AGORA_RETRY_AFTER_MAX_MS) caps a Retry-After of an hour', () => {
    const capped = { baseMs: 1000, maxMs: 300_000, retryAfterMaxMs: 10_000, random: () => 0 };
    expect(computeBackoffMs(1, { retryAfterMs: 3_600_000 }, capped)).toBe(10_000);
    expect(computeBackoffMs(1, { retryAfterMs: 4000 }, capped)).toBe(4000);
    expect(() => computeBackoffMs(1, undefined, { ...capped, retryAfterMaxMs: -1 })).toThrow(
      /retryAfterMaxMs/,
    );
  });

  it('finds retryAfterMs on a wrapped cause', () => {
    const inner = Object.assign(new Error('http 503'), { retryAfterMs: 2500 });
    const outer = new Error('step disconnect failed', { cause: inner });
    expect(findRetryAfterMs(outer)).toBe(2500);
    expect(computeBackoffMs(1, outer, { ...opts, random: () => 0 })).toBe(2500);
  });

  it('ignores a retryAfterMs that is not a usable number', () => {
    for (const bad of [NaN, -1, Infinity, '3000', null]) {
      const err = { retryAfterMs: bad };
      expect(findRetryAfterMs(err)).toBeUndefined();
      expect(computeBackoffMs(2, err, { ...opts, random: () => 1 })).toBe(2000);
    }
  });

  it('is never negative or NaN, even for odd attempt numbers or a broken random source', () => {
    const weird = [0, -3, NaN, Infinity, 1.5];
    const sources = [() => NaN, () => -5, () => 7, () => Infinity];
    for (const attempt of weird) {
      for (const random of sources) {
        const d = computeBackoffMs(attempt, undefined, { ...opts, random });
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(60_000);
      }
    }
    expect(computeBackoffMs(5, undefined, { baseMs: 0, maxMs: 0 })).toBe(0);
  });

  it('rejects invalid options with a message naming the field', () => {
    expect(() => computeBackoffMs(1, undefined, { baseMs: -1, maxMs: 10 })).toThrow(/baseMs/);
    expect(() => computeBackoffMs(1, undefined, { baseMs: 1, maxMs: NaN })).toThrow(/maxMs/);
    expect(() => computeBackoffMs(1, undefined, { baseMs: 100, maxMs: 10 })).toThrow(
      /maxMs \(10\) must be ≥ baseMs \(100\)/,
    );
  });
});

describe('createBackoffStrategy', () => {
  it('has the BullMQ (attemptsMade, type, err, job) shape and passes the error through', () => {
    const strategy = createBackoffStrategy({ ...opts, random: () => 1 });
    expect(strategy(3, 'custom', new Error('boom'), {})).toBe(4000);
    const err = Object.assign(new Error('429'), { retryAfterMs: 1234 });
    expect(strategy(3, 'custom', err, {})).toBe(Math.round(1234 * 1.1));
  });

  it('validates its options when created', () => {
    expect(() => createBackoffStrategy({ baseMs: 10, maxMs: 5 })).toThrow(/maxMs/);
  });
});

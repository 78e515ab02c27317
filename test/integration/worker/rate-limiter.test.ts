import { setMaxListeners } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitKey } from '../../../src/jobs/queue-names.js';
import { RateLimitBusyError } from '../../../src/worker/rate-limit-busy-error.js';
import {
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
} from '../../../src/worker/rate-limiter.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

const opened: Array<{ close(): Promise<unknown> }> = [];

function connect(options: RedisOptions = {}): Redis {
  const redis = new Redis(redisUrl(), options);
  opened.push({ close: () => redis.quit().catch(() => redis.disconnect()) });
  return redis;
}

function limiter(options: Omit<RateLimiterOptions, 'redis'> & { redis?: Redis }): RateLimiter {
  const rl = createRateLimiter({ redis: options.redis ?? connect(), ...options });
  // Limiters first (LIFO), then their connections.
  opened.push({ close: () => rl.close() });
  return rl;
}

afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.close();
});

const limits = (d: number, q = 100, c = 50) => ({ create: c, delete: d, query: q });

/** Most timestamps inside any window [t, t + windowMs). */
function maxInWindow(stamps: number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

describe('createRateLimiter (real Redis)', () => {
  it('two instances on separate connections share one budget: N calls take ≈ N/L s, ≤ L(+burst) per 1 s window', async () => {
    const L = 20;
    const N = 60;
    const prefix = uniquePrefix('rl');
    const a = limiter({ prefix, limits: limits(L), maxHoldMs: 10_000 });
    const b = limiter({ prefix, limits: limits(L), maxHoldMs: 10_000 });
    const stamps: number[] = [];
    let issued = 0;
    const loop = async (rl: RateLimiter): Promise<void> => {
      while (issued < N) {
        issued++;
        await rl.acquire('app-shared', 'delete');
        stamps.push(Date.now());
      }
    };
    const started = Date.now();
    // Eight concurrent callers per "process", as a worker with concurrency 8 would be.
    await Promise.all([
      ...Array.from({ length: 8 }, () => loop(a)),
      ...Array.from({ length: 8 }, () => loop(b)),
    ]);
    const elapsed = Date.now() - started;

    expect(stamps).toHaveLength(N);
    // GCRA with one interval of burst: two calls at t0, then one every 1/L s.
    const ideal = ((N - 2) / L) * 1000;
    expect(elapsed).toBeGreaterThanOrEqual(ideal - 100);
    expect(elapsed).toBeLessThan(ideal + 1500);
    // Without a shared budget the two instances would do 2L in a second.
    expect(maxInWindow(stamps, 1000)).toBeLessThanOrEqual(L + 2);
  });

  it('keeps App IDs (and classes) independent: a busy App ID does not delay another one', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(20, 20), maxHoldMs: 5000 });
    const busy = new AbortController();
    setMaxListeners(0, busy.signal);
    // 40 calls at 20/s: app-a is booked ~2 s ahead.
    const backlog = Array.from({ length: 40 }, () =>
      rl.acquire('app-a', 'delete', busy.signal).then(
        () => 'done',
        () => 'aborted',
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const [aState] = (await rl.state()).filter((s) => s.appId === 'app-a');
    expect(aState?.backlogMs).toBeGreaterThan(1500);

    const other = await timed(() => rl.acquire('app-b', 'delete'));
    expect(other.ms).toBeLessThan(300);
    const otherClass = await timed(() => rl.acquire('app-a', 'query'));
    expect(otherClass.ms).toBeLessThan(300);

    busy.abort();
    const outcomes = await Promise.all(backlog);
    expect(outcomes.filter((o) => o === 'aborted').length).toBeGreaterThan(30);
  });

  it('penalize pushes the App ID out for every caller, and only that App ID', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 5000 });
    const other = limiter({ prefix, limits: limits(10), maxHoldMs: 5000 }); // another process
    await rl.penalize('app-a', 'delete', 800);

    const penalized = await timed(() => other.acquire('app-a', 'delete'));
    expect(penalized.ms).toBeGreaterThanOrEqual(750);
    expect(penalized.ms).toBeLessThan(1500);
    expect(penalized.value.waitedMs).toBeGreaterThanOrEqual(750);

    const free = await timed(() => other.acquire('app-b', 'delete'));
    expect(free.ms).toBeLessThan(200);
  });

  it('concurrent penalties do not stack: many 429s pause the App ID once, not once per 429', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 5000 });
    await Promise.all(Array.from({ length: 20 }, () => rl.penalize('app-a', 'delete', 500)));
    const [s] = await rl.state();
    expect(s?.backlogMs).toBeGreaterThan(400);
    expect(s?.backlogMs).toBeLessThanOrEqual(600 + 50);
  });

  it('a penalty longer than the existing backlog extends it', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 5000 });
    await rl.penalize('app-a', 'delete', 300);
    await rl.penalize('app-a', 'delete', 900);
    const [s] = await rl.state();
    expect(s?.backlogMs).toBeGreaterThan(800);
    expect(s?.backlogMs).toBeLessThanOrEqual(1000 + 50);
  });

  it('limit 0 means unlimited: immediate, and no Redis call at all', async () => {
    // A client that can never reach Redis: any command would reject.
    const offline = connect({ lazyConnect: true, enableOfflineQueue: false });
    const rl = limiter({ redis: offline, prefix: uniquePrefix('rl'), limits: limits(0) });
    const t = await timed(async () => {
      for (let i = 0; i < 100; i++) await rl.acquire('app-a', 'delete');
    });
    expect(t.ms).toBeLessThan(100);
    await rl.penalize('app-a', 'delete', 5000);
    await expect(rl.acquire('app-a', 'delete')).resolves.toEqual({ waitedMs: 0 });
    // Control: a limited class does need Redis, so the client really is unusable.
    await expect(rl.acquire('app-a', 'query')).rejects.toThrow();
  });

  it('throws RateLimitBusyError (retryable, reserving nothing) when the backlog exceeds maxHoldMs', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 300 });
    await rl.penalize('app-a', 'delete', 2000);
    const before = await rl.state();

    const err: unknown = await rl.acquire('app-a', 'delete').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitBusyError);
    const busy = err as RateLimitBusyError;
    expect(busy.name).toBe('RateLimitBusyError');
    expect(busy.retryable).toBe(true);
    expect(busy.appId).toBe('app-a');
    expect(busy.callClass).toBe('delete');
    expect(busy.backlogMs).toBeGreaterThan(1700);
    expect(busy.backlogMs).toBeLessThanOrEqual(2000);
    expect(busy.retryAfterMs).toBeGreaterThan(0);
    expect(busy.retryAfterMs).toBeLessThanOrEqual(busy.backlogMs);

    const after = await rl.state();
    expect(after[0]?.backlogMs).toBeLessThanOrEqual(before[0]?.backlogMs ?? -1);
  });

  it('a per-call hold budget (urgent takedowns) waits for the slot instead of being parked', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 300 });
    await rl.penalize('app-a', 'delete', 800);
    await expect(rl.acquire('app-a', 'delete')).rejects.toBeInstanceOf(RateLimitBusyError);
    const started = performance.now();
    const { waitedMs } = await rl.acquire('app-a', 'delete', undefined, { maxHoldMs: 5000 });
    expect(waitedMs).toBeGreaterThan(500);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('spreads parked callers one interval apart, in the order they were refused', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 300 });
    await rl.penalize('app-a', 'delete', 2000);
    // When each caller is due back, on one clock (the calls themselves take time on a busy box).
    const dueAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      const err: unknown = await rl.acquire('app-a', 'delete').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitBusyError);
      dueAt.push(performance.now() + (err as RateLimitBusyError).retryAfterMs);
    }
    // 10/s: one 100 ms interval apart (give or take a millisecond of rounding), not all at once.
    for (let i = 1; i < dueAt.length; i++) {
      const gap = (dueAt[i] ?? 0) - (dueAt[i - 1] ?? 0);
      expect(gap).toBeGreaterThan(90);
      expect(gap).toBeLessThan(110);
    }
    // Another App ID is not behind them (a millisecond of timer slack at most, not ~2 s).
    const other = await rl.acquire('app-b', 'delete');
    expect(other.waitedMs).toBeLessThan(50);
  });

  it('an abort signal stops the wait and hands the unused slot back', async () => {
    const prefix = uniquePrefix('rl');
    const rl = limiter({ prefix, limits: limits(10), maxHoldMs: 5000 });
    await rl.penalize('app-a', 'delete', 1500);
    const [before] = await rl.state();

    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('job cancelled')), 100);
    const t = await timed(() => rl.acquire('app-a', 'delete', ac.signal).catch((e: unknown) => e));
    expect(t.value).toBeInstanceOf(Error);
    expect((t.value as Error).message).toBe('job cancelled');
    expect(t.ms).toBeLessThan(700);

    const [after] = await rl.state();
    // Released: the schedule is no further out than before (it only drained meanwhile).
    expect(after?.backlogMs).toBeLessThanOrEqual(before?.backlogMs ?? -1);

    // Already aborted: rejects at once, books nothing.
    const dead = new AbortController();
    dead.abort();
    await expect(rl.acquire('app-a', 'delete', dead.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('close rejects pending waits and refuses new ones', async () => {
    const rl = limiter({ prefix: uniquePrefix('rl'), limits: limits(10), maxHoldMs: 5000 });
    await rl.penalize('app-a', 'delete', 1000);
    const pending = rl.acquire('app-a', 'delete');
    await new Promise((r) => setTimeout(r, 50));
    await rl.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(rl.acquire('app-b', 'delete')).rejects.toThrow(/closed/);
  });

  it('state lists every App ID and class with its backlog; keys expire when idle', async () => {
    const prefix = uniquePrefix('rl');
    const redis = connect();
    const rl = limiter({ redis, prefix, limits: limits(10, 10), maxHoldMs: 5000 });
    await rl.penalize('app:with:colons', 'delete', 600);
    await rl.acquire('app-b', 'query');
    // Another prefix is not ours.
    await limiter({ prefix: uniquePrefix('rl'), limits: limits(10) }).penalize('x', 'delete', 600);

    const state = await rl.state();
    expect(state.map((s) => [s.appId, s.cls])).toEqual([
      ['app-b', 'query'],
      ['app:with:colons', 'delete'],
    ]);
    const colons = state.find((s) => s.appId === 'app:with:colons');
    expect(colons?.backlogMs).toBeGreaterThan(500);
    expect(colons?.backlogMs).toBeLessThanOrEqual(700);

    const ttl = await redis.pttl(rateLimitKey(prefix, 'app:with:colons', 'delete'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(700 + 1000);
  });

  it('rejects bad options with a message naming the field', () => {
    const redis = connect({ lazyConnect: true });
    const prefix = uniquePrefix('rl');
    expect(() => createRateLimiter({ redis, prefix, limits: limits(-1) })).toThrow(
      /limits\.delete/,
    );
    expect(() => createRateLimiter({ redis, prefix, limits: limits(10, NaN) })).toThrow(
      /limits\.query/,
    );
    expect(() => createRateLimiter({ redis, prefix, limits: limits(10), maxHoldMs: -5 })).toThrow(
      /maxHoldMs/,
    );
    expect(() => createRateLimiter({ redis, prefix: '', limits: limits(10) })).toThrow(/prefix/);
  });
});

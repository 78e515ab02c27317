import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RateLimitBusyError } from '../../../src/worker/rate-limit-busy-error.js';
import { createRateLimiter } from '../../../src/worker/rate-limiter.js';
import type { RateLimiter } from '../../../src/worker/rate-limiter.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** A worker process's limiter: its own connection, the default bulk hold budget (250 ms). */
function limiterProcess(prefix: string, L: number): RateLimiter {
  const redis = new Redis(redisUrl());
  closers.push(() => redis.quit());
  const limiter = createRateLimiter({ redis, prefix, limits: { create: L, delete: L, query: L } });
  closers.push(() => limiter.close());
  return limiter;
}

/** Most timestamps inside any window [t, t + windowMs). */
function maxInWindow(stamps: readonly number[], windowMs: number): number {
  const sorted = [...stamps].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limiter urgent lane (real Redis)', () => {
  it('an urgent call waits about one interval while bulk saturates the App ID, and bulk keeps ≥ 0.9 L', async () => {
    const L = 50; // 20 ms emission interval
    const intervalMs = 1000 / L;
    const prefix = uniquePrefix('lane');
    // Two worker processes, 20 bulk callers each (WORKER_CONCURRENCY=20), as a big batch
    // would keep them: a refused (parked) caller comes back when the limiter says.
    const processes = [limiterProcess(prefix, L), limiterProcess(prefix, L)];
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    const bulkStamps: number[] = [];
    const bulkLoop = async (rl: RateLimiter): Promise<void> => {
      while (!stop.signal.aborted) {
        try {
          await rl.acquire('app-a', 'delete', stop.signal);
          bulkStamps.push(Date.now());
        } catch (err) {
          if (!(err instanceof RateLimitBusyError)) return;
          await sleep(err.retryAfterMs);
        }
      }
    };
    const bulk = processes.flatMap((rl) => Array.from({ length: 20 }, () => bulkLoop(rl)));

    await sleep(500); // saturated: the bulk line runs far ahead of now
    const [state] = await processes[0]!.state();
    expect(state?.backlogMs).toBeGreaterThan(150);

    const urgentWaits: number[] = [];
    const urgentStamps: number[] = [];
    for (let i = 0; i < 20; i++) {
      const rl = processes[i % 2]!;
      const { waitedMs } = await rl.acquire('app-a', 'delete', undefined, { urgent: true });
      urgentWaits.push(waitedMs);
      urgentStamps.push(Date.now());
      await sleep(37);
    }
    const measureFrom = Date.now();
    await sleep(1500);
    stop.abort();
    await Promise.all(bulk);

    // About one interval; allow a second one and some timer slack on a busy machine.
    const sorted = [...urgentWaits].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(2 * intervalMs);
    expect(sorted.at(-1)).toBeLessThanOrEqual(2 * intervalMs + 30);

    // Bulk still uses the App ID's budget once the urgent calls are through...
    const after = bulkStamps.filter((t) => t >= measureFrom && t < measureFrom + 1500);
    expect(after.length / 1.5).toBeGreaterThanOrEqual(0.9 * L);
    // ...and urgent plus bulk never exceed it (GCRA, one interval of burst).
    expect(maxInWindow([...bulkStamps, ...urgentStamps], 1000)).toBeLessThanOrEqual(L + 2);
  });

  it('an urgent call is not parked behind a long bulk line: it books the next real slot', async () => {
    const L = 10; // 100 ms interval
    const prefix = uniquePrefix('lane');
    const rl = limiterProcess(prefix, L);
    const other = limiterProcess(prefix, L);
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    // Bulk callers with a long hold budget line up ~1.5 s of tickets.
    const waiting = Array.from({ length: 15 }, () =>
      other.acquire('app-a', 'delete', stop.signal, { maxHoldMs: 5000 }).catch(() => undefined),
    );
    await sleep(50);
    const [state] = await rl.state();
    expect(state?.backlogMs).toBeGreaterThan(1000);

    const { waitedMs } = await rl.acquire('app-a', 'delete', undefined, { urgent: true });
    expect(waitedMs).toBeLessThanOrEqual(2 * 100 + 30);
    stop.abort();
    await Promise.all(waiting);
  });
});

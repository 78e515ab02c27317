import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, TAKEDOWN_JOB_NAME, TAKEDOWN_QUEUE } from '../../../src/jobs/index.js';
import type { TakedownJobData } from '../../../src/jobs/index.js';
import { createDeadLetterWriter, createReconciler } from '../../../src/worker/index.js';
import type { Reconciler, ReconcilerOptions } from '../../../src/worker/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, testLogger } from './harness.js';

const PAGE = 4;

/**
 * A prefix of its own with takedowns failed by a bare BullMQ worker, so no DLQ entry was written
 * (the crash window the reconciler is for), and reconcilers over it, each on its own connection
 * as each worker process has.
 */
interface World {
  prefix: string;
  redis: Redis;
  queue: Queue;
  dlq: Queue;
  /** Adds takedowns under `ids` and waits until a bare worker has failed them all. */
  fail(ids: readonly string[]): Promise<void>;
  reconciler(overrides?: Partial<ReconcilerOptions>): Reconciler;
  close(): Promise<void>;
}

function createWorld(): World {
  const prefix = uniquePrefix('rec');
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: redis, prefix });
  const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: redis, prefix });
  const closers: (() => Promise<unknown>)[] = [];
  return {
    prefix,
    redis,
    queue,
    dlq,
    fail: async (ids) => {
      const before = await queue.getFailedCount();
      await queue.addBulk(
        ids.map((jobId, i) => ({
          name: TAKEDOWN_JOB_NAME,
          data: {
            enqueueToken: 'reconciler-test',
            payload: { v: 1, region: 'na', appId: APP_ID, sid: `s-${jobId}-${i}` },
          } as unknown as TakedownJobData,
          opts: { jobId },
        })),
      );
      const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
      const bare = new Worker(
        TAKEDOWN_QUEUE,
        () => Promise.reject(new Error('Agora answered 503 (reconciler test)')),
        { connection, prefix, concurrency: 10 },
      );
      try {
        await waitFor(async () => (await queue.getFailedCount()) >= before + ids.length, {
          what: `${ids.length} failed jobs`,
        });
      } finally {
        await bare.close();
        await connection.quit();
      }
    },
    reconciler: (overrides = {}) => {
      // Its own connection, as every worker process has.
      const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
      const ownQueue = new Queue(TAKEDOWN_QUEUE, { connection, prefix });
      const ownDlq = new Queue(DEAD_LETTER_QUEUE, { connection, prefix });
      const reconciler = createReconciler({
        queue: ownQueue,
        dlq: ownDlq,
        redis: connection,
        deadLetters: createDeadLetterWriter({ queue: ownDlq }),
        logger: testLogger(),
        intervalMs: 60_000,
        pageSize: PAGE,
        skewMarginMs: 0,
        ...overrides,
      });
      closers.push(async () => {
        await reconciler.close();
        await Promise.all([ownQueue.close(), ownDlq.close()]);
        await connection.quit();
      });
      return reconciler;
    },
    close: async () => {
      for (const close of closers.splice(0)) await close();
      await Promise.all([queue.close(), dlq.close()]);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.unlink(...keys);
      await redis.quit();
    },
  };
}

const ids = (n: number, tag = 'f'): string[] =>
  Array.from({ length: n }, (_, i) => `sid-${APP_ID}-${tag}${i}`);

async function deadLetterIds(dlq: Queue): Promise<string[]> {
  return (await dlq.getWaiting(0, -1)).map((j) => (j.data as { jobId: string }).jobId).sort();
}

describe('reconciler: one at a time, incremental', () => {
  let w: World;
  beforeEach(() => {
    w = createWorld();
  });
  afterEach(async () => {
    await w.close();
  });

  it('one worker at a time runs a pass: the lock has a TTL, is kept by its holder and handed over on close', async () => {
    await w.fail(ids(3));
    const a = w.reconciler();
    const b = w.reconciler();
    expect(await a.runOnce()).toMatchObject({ ran: true, added: 3 });
    // b's pass finds the lock held: it reads nothing.
    expect(await b.runOnce()).toEqual({
      ran: false,
      scanned: 0,
      added: 0,
      entriesChecked: 0,
      staleRemoved: 0,
    });
    const lockKey = `${w.prefix}:${TAKEDOWN_QUEUE}:reconciler:lock`;
    const ttl = await w.redis.pttl(lockKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // The holder keeps it pass after pass.
    expect(await a.runOnce()).toMatchObject({ ran: true });
    expect(await b.runOnce()).toMatchObject({ ran: false });
    // Closing hands it over at once.
    await a.close();
    expect(await w.redis.exists(lockKey)).toBe(0);
    expect(await b.runOnce()).toMatchObject({ ran: true });
    expect(await deadLetterIds(w.dlq)).toEqual(ids(3).sort());
  });

  it('a holder that dies (never closes) loses the lock when its TTL runs out', async () => {
    const a = w.reconciler({ intervalMs: 200 });
    const b = w.reconciler();
    expect(await a.runOnce()).toMatchObject({ ran: true });
    // a stops running passes (as a killed process would); its lock expires and b takes over.
    await waitFor(async () => (await b.runOnce()).ran, { what: 'b to take the lock over' });
    expect(await a.runOnce()).toMatchObject({ ran: false });
  });

  it('a pass reads the failures since its cursor and one sweep window, not the whole failed set', async () => {
    const first = ids(30, 'a');
    await w.fail(first);
    const r = w.reconciler();
    const one = await r.runOnce();
    expect(one).toMatchObject({ ran: true, added: 30 });
    expect(await deadLetterIds(w.dlq)).toEqual(first.sort());

    // Nothing new: one sweep window of PAGE jobs, not 30.
    const two = await r.runOnce();
    expect(two).toMatchObject({ ran: true, added: 0 });
    expect(two.scanned).toBeLessThanOrEqual(PAGE);

    // New failures are read (and only they, plus the window), also by another worker: the
    // cursor is in Redis.
    const more = ids(2, 'b');
    await w.fail(more);
    await r.close();
    const other = w.reconciler();
    const three = await other.runOnce();
    expect(three).toMatchObject({ ran: true, added: 2 });
    expect(three.scanned).toBeLessThanOrEqual(2 + PAGE);
    expect(await deadLetterIds(w.dlq)).toEqual([...first, ...more].sort());
  });

  it('the sweep finds a failure scored behind the cursor (a worker with a slow clock)', async () => {
    const all = ids(10);
    await w.fail(all);
    const r = w.reconciler();
    await r.runOnce();
    // One job failed "long ago" by its worker's clock, after the cursor passed, with no entry.
    const late = all[7] as string;
    await w.dlq.remove(late);
    await w.redis.zadd(`${w.prefix}:${TAKEDOWN_QUEUE}:failed`, 1, late);
    let added = 0;
    // One window per pass: the whole set within ceil(10 / PAGE) passes, plus one to wrap.
    for (let pass = 0; pass < Math.ceil(all.length / PAGE) + 1 && added === 0; pass++) {
      added = (await r.runOnce()).added;
    }
    expect(added).toBe(1);
    expect(await deadLetterIds(w.dlq)).toEqual(all.sort());
  });

  it('drops a stale DLQ entry (its takedown completed) among many, in the newest window or the sweep', async () => {
    const all = ids(12);
    await w.fail(all);
    const r = w.reconciler();
    expect(await r.runOnce()).toMatchObject({ added: 12 });
    // Two takedowns completed after all: one entry among the oldest, one among the newest.
    const completed = `${w.prefix}:${TAKEDOWN_QUEUE}:completed`;
    const failed = `${w.prefix}:${TAKEDOWN_QUEUE}:failed`;
    // Entries are pushed at the head of the DLQ's wait list (our ids are their own DLQ ids).
    const waitKey = `${w.prefix}:${DEAD_LETTER_QUEUE}:wait`;
    const [oldest] = await w.redis.lrange(waitKey, -1, -1);
    const [newest] = await w.redis.lrange(waitKey, 0, 0);
    if (oldest === undefined || newest === undefined) throw new Error('no DLQ entries');
    for (const id of [oldest, newest]) {
      await w.redis.zrem(failed, id);
      await w.redis.zadd(completed, Date.now(), id);
    }
    let removed = 0;
    for (let pass = 0; pass < Math.ceil(all.length / PAGE) + 1 && removed < 2; pass++) {
      removed += (await r.runOnce()).staleRemoved;
    }
    expect(removed).toBe(2);
    expect(await deadLetterIds(w.dlq)).toEqual(
      all.filter((id) => id !== oldest && id !== newest).sort(),
    );
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEAD_LETTER_JOB_NAME,
  DEAD_LETTER_QUEUE,
  TAKEDOWN_JOB_NAME,
  TAKEDOWN_QUEUE,
} from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createDeadLetterWriter, createReconciler } from '../../src/worker/index.js';
import type { Reconciler } from '../../src/worker/index.js';
import { startLocalRedis } from '../../test/support/redis-server.js';
import { BENCH_APP_ID, BENCH_REGION, makeRow, redisCommandCount, round } from '../support/index.js';
import type { BenchOptions, Row } from '../support/index.js';

const SCENARIO = '12 reconciler cost';
const PREFIX = 'bench-rec';
/** Worker processes, each with its own reconciler and Redis connection. */
const WORKERS = 4;
/** Pipelined writes per round trip while seeding. */
const SEED_BATCH = 1000;
/** Intervals the steady state is measured over. */
const STEADY_INTERVALS = 3;
/** TAKEDOWN_RECONCILE_INTERVAL_MS's default. */
const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Writes `count` takedowns that failed for good, each with its DLQ entry, straight into Redis the
 * way BullMQ and the DLQ writer leave them (job hash + `failed` zset scored by finishedOn; DLQ
 * job hash + the DLQ's `wait` list): what a credential mistake leaves behind. Pipelined; seconds
 * for 50,000, where failing them through a worker would take minutes.
 */
async function seedFailed(redis: Redis, count: number): Promise<void> {
  const failedAt = Date.now() - 3_600_000;
  for (let done = 0; done < count; done += SEED_BATCH) {
    const pipeline = redis.pipeline();
    for (let i = done; i < Math.min(count, done + SEED_BATCH); i++) {
      const sid = `bench-rec-${i}`;
      const jobId = `sid-${BENCH_APP_ID}-${sid}`;
      const finishedOn = failedAt + i;
      const payload = {
        v: 1,
        region: BENCH_REGION,
        appId: BENCH_APP_ID,
        sid,
        priority: 'bulk',
        requestedAt: new Date(failedAt - 60_000).toISOString(),
      };
      const message = 'Agora answered 401: Invalid authentication credentials.';
      pipeline.hset(`${PREFIX}:${TAKEDOWN_QUEUE}:${jobId}`, {
        name: TAKEDOWN_JOB_NAME,
        data: JSON.stringify({ enqueueToken: 'bench', payload, progress: { step: 'revoke-key' } }),
        opts: JSON.stringify({ attempts: 12, backoff: { type: 'custom' } }),
        timestamp: failedAt - 60_000,
        delay: 0,
        priority: 0,
        processedOn: finishedOn - 50,
        finishedOn,
        atm: 1,
        ats: 1,
        failedReason: message,
        stacktrace: '[]',
      });
      pipeline.zadd(`${PREFIX}:${TAKEDOWN_QUEUE}:failed`, finishedOn, jobId);
      const entry = {
        v: 1,
        jobId,
        payload,
        sid,
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        failedStep: 'revoke-key',
        attempts: 1,
        reason: 'permanent',
        error: { name: 'AgoraHttpError', status: 401, message },
        failedAt: new Date(finishedOn).toISOString(),
      };
      pipeline.hset(`${PREFIX}:${DEAD_LETTER_QUEUE}:${jobId}`, {
        name: DEAD_LETTER_JOB_NAME,
        data: JSON.stringify(entry),
        opts: JSON.stringify({ removeOnComplete: false, removeOnFail: false }),
        timestamp: finishedOn,
        delay: 0,
        priority: 0,
      });
      pipeline.lpush(`${PREFIX}:${DEAD_LETTER_QUEUE}:wait`, jobId);
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
}

/**
 * Issue 11: the DLQ reconciler with 50,000 failed takedowns (each with its DLQ entry) and four
 * workers, at the default interval (60 s). Counts the Redis commands the four reconcilers make
 * (INFO commandstats, which also counts the commands inside Lua scripts): in the first interval
 * (the first pass on a fresh cursor reads every failed job once) and, per minute, over three
 * intervals of the steady state after it. Nothing else talks to this Redis.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const failed = opts.quick ? 10_000 : 50_000;
  const intervalMs = opts.quick ? 10_000 : DEFAULT_INTERVAL_MS;
  const redis = await startLocalRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const seedStart = Date.now();
    await seedFailed(admin, failed);
    opts.log(`seeded ${failed} failed takedowns with DLQ entries in ${Date.now() - seedStart} ms`);

    const logger = createLogger({ level: 'warn' });
    const reconcilers: Reconciler[] = [];
    for (let i = 0; i < WORKERS; i++) {
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(TAKEDOWN_QUEUE, { connection, prefix: PREFIX });
      const dlq = new Queue(DEAD_LETTER_QUEUE, { connection, prefix: PREFIX });
      const reconciler = createReconciler({
        queue,
        dlq,
        redis: connection,
        deadLetters: createDeadLetterWriter({ queue: dlq }),
        logger,
        intervalMs,
      });
      reconcilers.push(reconciler);
      closers.push(async () => {
        await reconciler.close();
        await Promise.all([queue.close(), dlq.close()]);
        await connection.quit();
      });
    }

    const before = await redisCommandCount(admin);
    for (const reconciler of reconcilers) reconciler.start();
    await sleep(intervalMs);
    const afterFirst = await redisCommandCount(admin);
    // Passes start about one interval apart (the lock's TTL), give or take a pass's duration: a
    // window of several intervals, started between two passes, counts them fairly.
    await sleep(intervalMs / 2);
    const steadyFrom = await redisCommandCount(admin);
    await sleep(STEADY_INTERVALS * intervalMs);
    const steadyTo = await redisCommandCount(admin);
    // Each reading's own INFO is counted by the next one.
    const firstMinute = round(((afterFirst - before - 1) * 60_000) / intervalMs, 0);
    const steady = round(
      ((steadyTo - steadyFrom - 1) * 60_000) / (STEADY_INTERVALS * intervalMs),
      0,
    );
    const dlqLength = await admin.llen(`${PREFIX}:${DEAD_LETTER_QUEUE}:wait`);
    if (dlqLength !== failed) throw new Error(`the DLQ holds ${dlqLength} entries, not ${failed}`);
    const details = { failed, workers: WORKERS, intervalMs, firstMinute, steady };
    const at = `${failed.toLocaleString('en-US')} failed, ${WORKERS} workers, interval ${intervalMs / 1000} s`;
    opts.log(`commands/min: first ${firstMinute}, steady ${steady}`);
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `Redis commands/min, steady state (${at})`,
        value: steady,
        unit: '/min',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `Redis commands/min in the first interval (the one-off first read; ${at})`,
        value: firstMinute,
        unit: '/min',
        details,
      }),
    ];
  } finally {
    for (const close of closers.splice(0)) await close();
    admin.disconnect();
    await redis.close();
  }
}

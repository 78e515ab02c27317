import { createProducer } from '../../src/producer/index.js';
import {
  BENCH_APP_ID,
  BENCH_REGION,
  makeRow,
  mib,
  pausedQueue,
  perSecond,
  requestsFor,
  round,
  startBenchEnvironment,
  startWorkerHost,
  workerEnv,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row, WorkerHost } from '../support/index.js';

// An extra row (limiter and verify off): 100,000 takedowns at 50 deletes/s would take over an hour.
const SCENARIO = '5 steady memory [extra: limiter off, verify off]';
const PREFIX = 'bench-mem';
const IDEMPOTENCY_WINDOW_S = 604_800;
/** The simulator's seed endpoint takes at most this many at once. */
const SEED_CHUNK = 50_000;

interface Sample {
  after: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  redisUsedMiB: number;
  rate: number;
}

/** Seeds `count` live streams and enqueues their key+SID takedowns into the paused queue. */
async function load(env: BenchEnvironment, count: number): Promise<void> {
  const producer = await createProducer({
    redis: env.redisUrl,
    prefix: PREFIX,
    attempts: 12,
    idempotencyWindowS: IDEMPOTENCY_WINDOW_S,
    defaultAppId: BENCH_APP_ID,
  });
  try {
    for (let done = 0; done < count; done += SEED_CHUNK) {
      const n = Math.min(SEED_CHUNK, count - done);
      const streams = await env.admin.seed({
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        count: n,
        reconnect: false,
      });
      const res = await producer.enqueueMany(requestsFor(streams, BENCH_APP_ID));
      if (res.counts.enqueued !== n) throw new Error(`enqueued ${res.counts.enqueued} of ${n}`);
    }
  } finally {
    await producer.close();
  }
}

async function runUntil(
  env: BenchEnvironment,
  host: WorkerHost,
  count: number,
  after: number,
): Promise<Sample> {
  const queue = await pausedQueue(env.redisClient, PREFIX);
  try {
    // The simulator's call log and state start empty for each phase (the worker's memory is
    // what is measured, not the simulator's).
    await env.admin.reset({ deleteRps: 0, queryRps: 0, createRps: 0 });
    await load(env, count);
    const r = await host.run(count, { timeoutMs: 900_000 });
    if (r.failed > 0) throw new Error(`${r.failed} takedowns failed: ${r.firstFailure ?? ''}`);
    const m = await host.sample();
    return {
      after,
      rssMiB: mib(m.rss),
      heapUsedMiB: mib(m.heapUsed),
      heapTotalMiB: mib(m.heapTotal),
      redisUsedMiB: mib(await env.usedMemory()),
      rate: perSecond(count, r.elapsedMs),
    };
  } finally {
    await queue.close();
  }
}

/**
 * The real worker (own process, limiter off, verify off, 0 ms API) warms up, runs N takedowns,
 * then up to 10·N in all; its RSS (after a forced GC) then must stay within 1.3× of that after N.
 * Completed jobs are kept for the idempotency window (7 days), so Redis grows with them:
 * its used_memory after both is reported.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  // RSS settles after a few thousand takedowns (V8 sizes its heap spaces, code gets optimized;
  // heapUsed stays flat from there): sample only once warmed up. Quick: after 1k and 6k.
  const warmup = opts.quick ? 1500 : 2000;
  const first = opts.quick ? 1000 : 10_000;
  const total = opts.quick ? 6000 : 100_000;
  const env = await startBenchEnvironment({ latencyMs: 0 });
  let host: WorkerHost | undefined;
  try {
    const redisBefore = mib(await env.usedMemory());
    const queue = await pausedQueue(env.redisClient, PREFIX);
    await queue.close();
    host = await startWorkerHost(
      'takedown',
      workerEnv({
        redisUrl: env.redisUrl,
        prefix: PREFIX,
        agoraBaseUrl: env.sim.url,
        verify: false,
      }),
      { limiterOff: true },
    );
    opts.log(`${SCENARIO}: warm-up, ${warmup} takedowns`);
    // Warm-up first (JIT, pools), so the first sample is a running worker, not a cold one.
    await runUntil(env, host, warmup, 0);
    opts.log(`${SCENARIO}: ${first} takedowns`);
    const a = await runUntil(env, host, first, first);
    opts.log(
      `  after ${first}: RSS ${round(a.rssMiB, 1)} MiB, heap ${round(a.heapUsedMiB, 1)} MiB, Redis ${round(a.redisUsedMiB, 1)} MiB (${round(a.rate, 0)}/s)`,
    );
    opts.log(`${SCENARIO}: ${total - first} more takedowns`);
    const b = await runUntil(env, host, total - first, total);
    opts.log(
      `  after ${total}: RSS ${round(b.rssMiB, 1)} MiB, heap ${round(b.heapUsedMiB, 1)} MiB, Redis ${round(b.redisUsedMiB, 1)} MiB (${round(b.rate, 0)}/s)`,
    );
    const perJobBytes = ((b.redisUsedMiB - a.redisUsedMiB) * 1024 * 1024) / (total - first);
    const details = {
      warmupTakedowns: warmup,
      retention: `completed jobs kept ${IDEMPOTENCY_WINDOW_S} s (idempotency window)`,
      redisEmptyMiB: round(redisBefore, 1),
      samples: [a, b].map((s) => ({
        after: s.after,
        rssMiB: round(s.rssMiB, 1),
        heapUsedMiB: round(s.heapUsedMiB, 1),
        heapTotalMiB: round(s.heapTotalMiB, 1),
        redisUsedMiB: round(s.redisUsedMiB, 1),
        takedownsPerS: round(s.rate, 0),
      })),
      redisBytesPerRetainedTakedown: round(perJobBytes, 0),
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `worker RSS after ${total / 1000}k takedowns`,
        value: b.rssMiB,
        unit: 'MiB',
        baseline: { label: `after ${first / 1000}k`, value: a.rssMiB },
        check: { on: 'ratio', op: '<=', limit: 1.3 },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `worker heap used after ${total / 1000}k (after GC)`,
        value: b.heapUsedMiB,
        unit: 'MiB',
        baseline: { label: `after ${first / 1000}k`, value: a.heapUsedMiB },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `Redis used_memory after ${total / 1000}k (kept 7 d)`,
        value: b.redisUsedMiB,
        unit: 'MiB',
        baseline: { label: `after ${first / 1000}k`, value: a.redisUsedMiB },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'Redis bytes per retained takedown',
        value: perJobBytes,
        unit: 'B',
        details,
      }),
    ];
  } finally {
    await host?.close();
    await env.close();
  }
}

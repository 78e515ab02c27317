import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import type { Producer } from '../../src/producer/index.js';
import {
  BENCH_APP_ID,
  BENCH_REGION,
  makeRow,
  percentile,
  requestsFor,
  startBenchEnvironment,
  startWorkerHost,
  waitDrained,
  workerEnv,
  benchProducer,
} from '../support/index.js';
import type {
  BenchEnvironment,
  BenchOptions,
  BenchRequest,
  Row,
  WorkerHost,
} from '../support/index.js';

// An extra row (limiter and verify off): queue priority alone; row 7 measures the defaults.
// Kept from earlier rounds at their settings (concurrency 20, the old default): with the limiter
// off nothing paces the bulk jobs, and at 60 in flight the urgent p99 measured 2.8× idle (the
// defaults, limiter on, are scenario 8: urgent-time-to-cut).
const CONCURRENCY = 20;
const SCENARIO = `4 urgent latency [extra: limiter off, verify off, concurrency ${CONCURRENCY}]`;
/** A realistic API round trip; at 0 ms every latency is noise. */
const API_LATENCY_MS = 25;
const URGENT_EVERY_MS = 30;

async function latencies(queue: Queue, jobIds: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const id of jobIds) {
    const job = await queue.getJob(id);
    if (job?.finishedOn === undefined) throw new Error(`urgent job ${id} has not finished`);
    out.push(job.finishedOn - job.timestamp);
  }
  return out;
}

/** Enqueues the urgent takedowns one by one, `URGENT_EVERY_MS` apart, as moderators would. */
async function trickle(producer: Producer, urgent: readonly BenchRequest[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of urgent) {
    const t = Date.now();
    const res = await producer.enqueue({ ...r, priority: 'urgent' });
    if (res.status !== 'enqueued') throw new Error(`urgent ${res.jobId} was a ${res.status}`);
    ids.push(res.jobId);
    await sleep(Math.max(0, URGENT_EVERY_MS - (Date.now() - t)));
  }
  return ids;
}

const WARMUP = 40;

async function phase(
  env: BenchEnvironment,
  prefix: string,
  urgentCount: number,
  bulkCount: number,
): Promise<{ latencies: number[]; bulkLeft: number; bulkDone: number }> {
  const urgentStreams = await env.admin.seed({
    appId: BENCH_APP_ID,
    region: BENCH_REGION,
    count: urgentCount,
    reconnect: false,
  });
  const producer = await benchProducer(env.redisUrl, prefix);
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix });
  try {
    // A fresh worker process runs its first jobs slowly (JIT, first connections): warm it up.
    const warm = await env.admin.seed({
      appId: BENCH_APP_ID,
      region: BENCH_REGION,
      count: WARMUP,
      reconnect: false,
    });
    await producer.enqueueMany(requestsFor(warm, BENCH_APP_ID));
    await waitDrained(queue, WARMUP, 30_000, 50);
    if (bulkCount > 0) {
      const bulk = await env.admin.seed({
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        count: bulkCount,
        reconnect: false,
      });
      const res = await producer.enqueueMany(requestsFor(bulk, BENCH_APP_ID, 'bulk'));
      if (res.counts.enqueued !== bulkCount)
        throw new Error(`bulk: enqueued ${res.counts.enqueued}`);
      // Let the drain get going before the first urgent one arrives.
      await sleep(500);
    }
    const ids = await trickle(producer, requestsFor(urgentStreams, BENCH_APP_ID));
    const bulkLeft = bulkCount > 0 ? await queue.getPrioritizedCount() : 0;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
      if (states.every((s) => s === 'completed')) break;
      if (states.some((s) => s === 'failed')) throw new Error('an urgent takedown failed');
      if (Date.now() > deadline) throw new Error('urgent takedowns did not finish within 60 s');
      await sleep(50);
    }
    const lat = await latencies(queue, ids);
    const bulkDone = (await queue.getCompletedCount()) - urgentCount - WARMUP;
    return { latencies: lat, bulkLeft, bulkDone };
  } finally {
    await queue.close();
    await producer.close();
  }
}

/**
 * p50/p99 enqueue→finished (job.finishedOn − job.timestamp) of urgent takedowns, one every
 * 30 ms, on an idle queue and then while a bulk batch drains; API latency 25 ms, limiter off,
 * verify off, the real worker (concurrency 20) in its own process.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const bulkCount = 5000;
  const urgentCount = opts.quick ? 100 : 300;
  const env = await startBenchEnvironment({ latencyMs: API_LATENCY_MS });
  const hosts: WorkerHost[] = [];
  try {
    const start = async (prefix: string): Promise<WorkerHost> => {
      const host = await startWorkerHost(
        'takedown',
        workerEnv({
          redisUrl: env.redisUrl,
          prefix,
          agoraBaseUrl: env.sim.url,
          verify: false,
          concurrency: CONCURRENCY,
        }),
        { limiterOff: true },
      );
      hosts.push(host);
      return host;
    };
    opts.log(`${SCENARIO}: ${urgentCount} urgent takedowns on an idle queue`);
    const idleHost = await start('bench-urgent-idle');
    const idle = await phase(env, 'bench-urgent-idle', urgentCount, 0);
    await idleHost.close();

    opts.log(`${SCENARIO}: ${urgentCount} urgent takedowns while ${bulkCount} bulk ones drain`);
    await env.admin.reset({ deleteRps: 0, queryRps: 0, createRps: 0 });
    const loadHost = await start('bench-urgent-load');
    const load = await phase(env, 'bench-urgent-load', urgentCount, bulkCount);
    await loadHost.close();
    opts.log(
      `  idle p50 ${percentile(idle.latencies, 50)} ms p99 ${percentile(idle.latencies, 99)} ms; ` +
        `under load p50 ${percentile(load.latencies, 50)} ms p99 ${percentile(load.latencies, 99)} ms ` +
        `(${load.bulkLeft} bulk still queued after the last urgent one)`,
    );
    if (load.bulkLeft === 0) {
      throw new Error(
        'the bulk batch had drained before the last urgent takedown: not a measurement under load',
      );
    }
    const details = {
      apiLatencyMs: API_LATENCY_MS,
      urgentCount,
      urgentEveryMs: URGENT_EVERY_MS,
      bulkCount,
      bulkStillQueuedAfterLastUrgent: load.bulkLeft,
      bulkDoneMeanwhile: load.bulkDone,
      idle: {
        p50: percentile(idle.latencies, 50),
        p99: percentile(idle.latencies, 99),
        max: Math.max(...idle.latencies),
      },
      load: {
        p50: percentile(load.latencies, 50),
        p99: percentile(load.latencies, 99),
        max: Math.max(...load.latencies),
      },
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `urgent p50 enqueue→finished, ${bulkCount} bulk draining`,
        value: percentile(load.latencies, 50),
        unit: 'ms',
        baseline: { label: 'idle queue', value: percentile(idle.latencies, 50) },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `urgent p99 enqueue→finished, ${bulkCount} bulk draining`,
        value: percentile(load.latencies, 99),
        unit: 'ms',
        baseline: { label: 'idle queue', value: percentile(idle.latencies, 99) },
        check: { on: 'ratio', op: '<=', limit: 2 },
        details,
      }),
    ];
  } finally {
    for (const h of hosts) await h.close();
    await env.close();
  }
}

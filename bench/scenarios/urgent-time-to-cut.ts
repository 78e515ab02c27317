import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import type { Producer } from '../../src/producer/index.js';
import {
  BENCH_APP_ID,
  BENCH_REGION,
  deleteRates,
  makeRow,
  percentile,
  requestsFor,
  round,
  startBenchEnvironment,
  startWorkerHost,
  waitForCuts,
  workerEnv,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row } from '../support/index.js';

const SCENARIO = '8 urgent time-to-cut at the defaults';
const L = 50;
const API_LATENCY_MS = 30;
const URGENT = 20;
const BULK = 5000;
/** Moderators' pace: one urgent takedown every quarter second. */
const URGENT_EVERY_MS = 250;

/** Enqueues urgent takedowns one by one; time-to-cut = producer call returned → SID gone. */
async function urgentRound(
  env: BenchEnvironment,
  producer: Producer,
): Promise<{ latencies: number[]; firstAt: number; lastCutAt: number }> {
  const streams = await env.admin.seed({
    appId: BENCH_APP_ID,
    region: BENCH_REGION,
    count: URGENT,
    reconnect: false,
  });
  const since = (await env.admin.calls()).at(-1)?.seq ?? 0;
  const returned = new Map<string, number>();
  const firstAt = Date.now();
  for (const r of requestsFor(streams, BENCH_APP_ID, 'urgent')) {
    const t = Date.now();
    const res = await producer.enqueue(r);
    if (res.status !== 'enqueued') throw new Error(`urgent ${res.jobId} was a ${res.status}`);
    returned.set(r.sid, Date.now());
    await sleep(Math.max(0, URGENT_EVERY_MS - (Date.now() - t)));
  }
  const cuts = await waitForCuts(env.admin, [...returned.keys()], 60_000, since);
  const latencies = [...returned].map(([sid, at]) => (cuts.get(sid) ?? Number.NaN) - at);
  return { latencies, firstAt, lastCutAt: Math.max(...cuts.values()) };
}

/**
 * One `takedown worker` at the defaults (verify on, limiter on, concurrency 60), 30 ms API
 * latency, 50 deletes/s at the simulator. 20 urgent takedowns on an idle queue, then 20 more while
 * a 5,000-row bulk batch saturates the App ID's limit; p99 under load over p99 idle must be ≤ 2.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const env = await startBenchEnvironment({
    latencyMs: API_LATENCY_MS,
    deleteRps: L,
    queryRps: 2 * L,
    createRps: L,
  });
  const prefix = 'bench-ttc';
  const producer = await benchProducer(env.redisUrl, prefix);
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix });
  const host = await startWorkerHost(
    'takedown',
    workerEnv({ redisUrl: env.redisUrl, prefix, agoraBaseUrl: env.sim.url, verify: true }),
  );
  try {
    // Warm the process up (JIT, connections) as a running worker would be.
    const warm = await env.admin.seed({ appId: BENCH_APP_ID, region: BENCH_REGION, count: 20 });
    await producer.enqueueMany(requestsFor(warm, BENCH_APP_ID));
    await waitForCuts(
      env.admin,
      warm.map((s) => s.sid),
      30_000,
    );

    opts.log(`${SCENARIO}: ${URGENT} urgent takedowns on an idle queue`);
    const idle = await urgentRound(env, producer);

    opts.log(`${SCENARIO}: ${URGENT} urgent takedowns while ${BULK} bulk ones saturate the limit`);
    const bulk = await env.admin.seed({
      appId: BENCH_APP_ID,
      region: BENCH_REGION,
      count: BULK,
      reconnect: false,
    });
    const sinceBulk = (await env.admin.calls()).at(-1)?.seq ?? 0;
    const enq = await producer.enqueueMany(requestsFor(bulk, BENCH_APP_ID, 'bulk'));
    if (enq.counts.enqueued !== BULK) throw new Error(`bulk: enqueued ${enq.counts.enqueued}`);
    await sleep(2000); // the batch is draining at the limit
    const load = await urgentRound(env, producer);
    const bulkLeft = await queue.getPrioritizedCount();
    const calls = (await env.admin.calls(sinceBulk)).filter(
      (c) => c.time >= load.firstAt && c.time <= load.lastCutAt,
    );
    const [rate] = deleteRates(calls, [BENCH_APP_ID]);
    const status429 = (await env.admin.calls(sinceBulk)).filter((c) => c.status === 429).length;
    const p = (xs: number[], q: number) => percentile(xs, q);
    opts.log(
      `  idle p50 ${round(p(idle.latencies, 50), 0)} ms p99 ${round(p(idle.latencies, 99), 0)} ms; ` +
        `under load p50 ${round(p(load.latencies, 50), 0)} ms p99 ${round(p(load.latencies, 99), 0)} ms; ` +
        `${round(rate?.rate ?? Number.NaN, 1)} deletes/s meanwhile, ${bulkLeft} bulk still queued, ${status429} × 429`,
    );
    if (bulkLeft === 0)
      throw new Error('the bulk batch drained before the urgent ones: not under load');
    const details = {
      apiLatencyMs: API_LATENCY_MS,
      limit: L,
      urgent: URGENT,
      urgentEveryMs: URGENT_EVERY_MS,
      bulk: BULK,
      bulkStillQueued: bulkLeft,
      deletesPerSecondMeanwhile: round(rate?.rate ?? Number.NaN, 1),
      status429,
      idle: idle.latencies,
      load: load.latencies,
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `urgent p50 enqueue→SID cut, ${BULK} bulk saturating the limit`,
        value: p(load.latencies, 50),
        unit: 'ms',
        baseline: { label: 'idle queue', value: p(idle.latencies, 50) },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `urgent p99 enqueue→SID cut, ${BULK} bulk saturating the limit`,
        value: p(load.latencies, 99),
        unit: 'ms',
        baseline: { label: 'idle queue', value: p(idle.latencies, 99) },
        check: { on: 'ratio', op: '<=', limit: 2 },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'bulk deletes/s while the urgent ones ran',
        value: rate?.rate ?? Number.NaN,
        unit: '/s',
        baseline: { label: 'AGORA_DELETE_RPS', value: L },
        check: { on: 'ratio', op: '>=', limit: 0.9 },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: '429 answers',
        value: status429,
        unit: '',
        check: { on: 'value', op: '<=', limit: 0 },
      }),
    ];
  } finally {
    await host.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await producer.close();
    await env.close();
  }
}

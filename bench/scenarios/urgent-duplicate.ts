import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../../src/producer/index.js';
import {
  BENCH_APP_ID,
  BENCH_REGION,
  makeRow,
  percentile,
  requestsFor,
  startBenchEnvironment,
  startWorkerHost,
  workerEnv,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row, WorkerHost } from '../support/index.js';

const SCENARIO = '6 urgent duplicate of a queued bulk SID';
/** The simulated API round trip the benchmarks use. */
const API_LATENCY_MS = 30;
const IDLE_SAMPLES = 5;

/** Milliseconds from the producer call returning until `sid` is no longer live in the simulator. */
async function timeToCut(
  env: BenchEnvironment,
  producer: Producer,
  request: { region: string; appId: string; sid: string; streamKey: string },
  expect: 'enqueued' | 'duplicate',
): Promise<number> {
  const res = await producer.enqueue({ ...request, priority: 'urgent' });
  const returned = performance.now();
  if (res.status !== expect)
    throw new Error(`urgent ${res.jobId} was ${res.status}, not ${expect}`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const live = await env.admin.streams({ streamKey: request.streamKey });
    if (!live.some((s) => s.sid === request.sid)) return Math.round(performance.now() - returned);
    if (Date.now() > deadline) throw new Error(`sid ${request.sid} was not cut within 600 s`);
    await sleep(5);
  }
}

async function withProducer<T>(
  env: BenchEnvironment,
  prefix: string,
  fn: (p: Producer) => Promise<T>,
): Promise<T> {
  const producer = await benchProducer(env.redisUrl, prefix);
  try {
    return await fn(producer);
  } finally {
    await producer.close();
  }
}

/**
 * An urgent request for a SID that a bulk sweep has already queued (its last row), sent while
 * the sweep drains: time-to-cut (producer call returns → SID gone from the simulator) against
 * the idle time-to-cut of an urgent request, same run. Defaults: verify on, limiter on
 * (Agora's 50 deletes/s, 100 queries/s, in the simulator too), API latency 30 ms.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const sweep = opts.quick ? 400 : 2000;
  const env = await startBenchEnvironment({
    latencyMs: API_LATENCY_MS,
    deleteRps: 50,
    queryRps: 100,
  });
  const hosts: WorkerHost[] = [];
  const start = async (prefix: string): Promise<WorkerHost> => {
    const host = await startWorkerHost(
      'takedown',
      workerEnv({ redisUrl: env.redisUrl, prefix, agoraBaseUrl: env.sim.url, verify: true }),
    );
    hosts.push(host);
    return host;
  };
  try {
    opts.log(`${SCENARIO}: ${IDLE_SAMPLES} urgent takedowns on an idle queue`);
    const idlePrefix = 'bench-dup-idle';
    await start(idlePrefix);
    const idle = await withProducer(env, idlePrefix, async (producer) => {
      const out: number[] = [];
      const streams = await env.admin.seed({
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        count: IDLE_SAMPLES + 1,
        reconnect: false,
      });
      const [warm, ...rest] = requestsFor(streams, BENCH_APP_ID);
      if (warm !== undefined) await timeToCut(env, producer, warm, 'enqueued'); // JIT, connections
      for (const r of rest) {
        out.push(await timeToCut(env, producer, r, 'enqueued'));
        await sleep(300);
      }
      return out;
    });

    opts.log(`${SCENARIO}: urgent duplicate of row ${sweep} of a ${sweep}-row bulk sweep`);
    const loadPrefix = 'bench-dup-load';
    await start(loadPrefix);
    const load = await withProducer(env, loadPrefix, async (producer) => {
      const streams = await env.admin.seed({
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        count: sweep,
        reconnect: false,
      });
      const rows = requestsFor(streams, BENCH_APP_ID, 'bulk');
      const res = await producer.enqueueMany(rows);
      if (res.counts.enqueued !== sweep) throw new Error(`bulk: enqueued ${res.counts.enqueued}`);
      await sleep(1000); // the sweep is draining
      const last = rows[sweep - 1];
      if (last === undefined) throw new Error('no last row');
      const stats = await env.admin.stats();
      const ms = await timeToCut(env, producer, last, 'duplicate');
      return { ms, liveWhenAsked: stats.liveStreams };
    });
    const idleMs = percentile(idle, 50);
    opts.log(
      `  idle time-to-cut p50 ${idleMs} ms (${idle.join(', ')}); urgent duplicate ${load.ms} ms ` +
        `(${load.liveWhenAsked} of ${sweep} sweep streams still live when it was asked)`,
    );
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `urgent duplicate time-to-cut, ${sweep}-row bulk sweep draining`,
        value: load.ms,
        unit: 'ms',
        baseline: { label: 'idle urgent time-to-cut (p50)', value: idleMs },
        check: { on: 'ratio', op: '<=', limit: 2 },
        details: {
          apiLatencyMs: API_LATENCY_MS,
          sweep,
          idleSamples: idle,
          sweepStreamsLiveWhenAsked: load.liveWhenAsked,
        },
      }),
    ];
  } finally {
    for (const h of hosts) await h.close();
    await env.close();
  }
}

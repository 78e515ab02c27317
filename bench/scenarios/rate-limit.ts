import { Queue } from 'bullmq';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import { spawnWorker } from '../../test/support/worker-process.js';
import type { WorkerProcess } from '../../test/support/worker-process.js';
import {
  BENCH_APP_ID,
  BENCH_CUSTOMER_ID,
  BENCH_CUSTOMER_SECRET,
  BENCH_REGION,
  deleteRates,
  makeRow,
  requestsFor,
  round,
  startBenchEnvironment,
  waitDrained,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, DeleteRate, Row } from '../support/index.js';

const SCENARIO = '3 rate-limit saturation';
/** Agora's published delete limit per App ID. */
const L = 50;
const PARKED_MSG = 'rate limited: job delayed without using an attempt';

function parkedSoFar(workers: readonly WorkerProcess[]): number {
  return workers.reduce((n, w) => n + w.logs.filter((l) => l.msg === PARKED_MSG).length, 0);
}

async function runBatch(
  env: BenchEnvironment,
  workers: readonly WorkerProcess[],
  prefix: string,
  appIds: readonly string[],
  perApp: number,
): Promise<{
  rates: DeleteRate[];
  status429: number;
  failed: number;
  dlq: number;
  calls: number;
  parked: number;
}> {
  const parkedBefore = parkedSoFar(workers);
  await env.admin.reset({ deleteRps: L, queryRps: 2 * L, createRps: L });
  const requestSets = [];
  for (const appId of appIds) {
    const streams = await env.admin.seed({ appId, region: BENCH_REGION, count: perApp });
    requestSets.push(requestsFor(streams, appId));
  }
  const producer = await benchProducer(env.redisUrl, prefix);
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix });
  const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: env.redisClient, prefix });
  try {
    const before = await queue.getJobCounts('completed');
    // One batch per App ID, submitted at the same moment (three teams, three sweeps).
    const results = await Promise.all(requestSets.map((r) => producer.enqueueMany(r)));
    const enqueued = results.reduce((n, r) => n + r.counts.enqueued, 0);
    if (enqueued !== perApp * appIds.length)
      throw new Error(`enqueued ${enqueued} of ${perApp * appIds.length}`);
    const total = enqueued + (before['completed'] ?? 0);
    // 2 deletes per takedown at L/s per App ID, with room for a slow start.
    const expectedMs = ((2 * perApp) / L) * 1000;
    const drained = await waitDrained(queue, total, expectedMs * 3 + 30_000, 200);
    const calls = await env.admin.calls();
    return {
      rates: deleteRates(calls, appIds),
      status429: calls.filter((c) => c.status === 429).length,
      failed: drained.failed,
      dlq: await dlq.count(),
      calls: calls.length,
      parked: parkedSoFar(workers) - parkedBefore,
    };
  } finally {
    await queue.close();
    await dlq.close();
    await producer.close();
  }
}

/**
 * The simulator enforces L deletes/s per App ID (429 beyond); two `takedown worker` processes are
 * configured with the same L, otherwise at the defaults (verify on with its settle, concurrency
 * 60), at a 30 ms API latency. A batch of 20·L key+SID takedowns (2·20·L delete-class calls) must
 * run at ≥ 0.9·L with no 429. Then three App IDs' batches at once: each ≥ 0.9 of its limit,
 * measured from the first delete of the run (so an App ID that waits its turn scores low).
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const multiple = opts.quick ? 2 : 20;
  const perApp = multiple * L;
  // The defaults (verify on, limiter on, concurrency 60) at a 30 ms API latency.
  const env = await startBenchEnvironment({
    latencyMs: 30,
    deleteRps: L,
    queryRps: 2 * L,
    createRps: L,
  });
  const prefix = 'bench-rl';
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      workers.push(
        spawnWorker({
          redisUrl: env.redisUrl,
          prefix,
          agoraBaseUrl: env.sim.url,
          customerId: BENCH_CUSTOMER_ID,
          customerSecret: BENCH_CUSTOMER_SECRET,
          env: {
            AGORA_APP_ID: BENCH_APP_ID,
            AGORA_DELETE_RPS: String(L),
            AGORA_QUERY_RPS: String(2 * L),
            AGORA_CREATE_RPS: String(L),
          },
        }),
      );
    }
    await Promise.all(workers.map((w) => w.ready(30_000)));

    opts.log(
      `${SCENARIO}: 1 App ID, ${perApp} key+SID takedowns at L = ${L} deletes/s, 2 worker processes`,
    );
    const one = await runBatch(env, workers, prefix, [BENCH_APP_ID], perApp);
    const single = one.rates[0];
    if (single === undefined) throw new Error('no delete calls seen');
    opts.log(
      `  ${round(single.rate, 1)} deletes/s (${single.deletes} deletes), 429s: ${one.status429}`,
    );

    const appIds = ['benchAppA', 'benchAppB', 'benchAppC'];
    opts.log(`${SCENARIO}: 3 App IDs × ${perApp} takedowns at once`);
    const three = await runBatch(env, workers, prefix, appIds, perApp);
    for (const r of three.rates) {
      opts.log(`  ${r.appId}: ${round(r.rate, 1)} deletes/s, started after ${r.startDelayMs} ms`);
    }
    const failures = one.failed + one.dlq + three.failed + three.dlq;
    const rows: Row[] = [
      makeRow({
        scenario: SCENARIO,
        figure: `1 App ID: deletes/s, ${perApp} takedowns, 2 workers`,
        value: single.rate,
        unit: '/s',
        baseline: { label: 'limit L', value: L },
        check: { on: 'ratio', op: '>=', limit: 0.9 },
        details: {
          ...single,
          failedJobs: one.failed,
          deadLettered: one.dlq,
          calls: one.calls,
          parkedByLimiter: one.parked,
        },
      }),
    ];
    for (const r of three.rates) {
      rows.push(
        makeRow({
          scenario: SCENARIO,
          figure: `3 App IDs: ${r.appId} deletes/s`,
          value: r.rate,
          unit: '/s',
          baseline: { label: 'limit L', value: L },
          check: { on: 'ratio', op: '>=', limit: 0.9 },
          details: { ...r, parkedByLimiter: three.parked, calls: three.calls },
        }),
      );
    }
    rows.push(
      makeRow({
        scenario: SCENARIO,
        figure: '429 answers (both runs)',
        value: one.status429 + three.status429,
        unit: '',
        check: { on: 'value', op: '<=', limit: 0 },
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'failed or dead-lettered takedowns',
        value: failures,
        unit: '',
        check: { on: 'value', op: '<=', limit: 0 },
      }),
    );
    return rows;
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        w.kill('SIGTERM');
        const timer = setTimeout(() => w.kill('SIGKILL'), 10_000);
        await w.exited;
        clearTimeout(timer);
      }),
    );
    await env.close();
  }
}

import { Queue } from 'bullmq';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import { waitFor } from '../../test/support/wait-for.js';
import { spawnWorker } from '../../test/support/worker-process.js';
import type { WorkerProcess } from '../../test/support/worker-process.js';
import {
  BENCH_APP_ID,
  BENCH_CUSTOMER_ID,
  BENCH_CUSTOMER_SECRET,
  BENCH_REGION,
  makeRow,
  percentile,
  requestsFor,
  round,
  startBenchEnvironment,
  waitForCuts,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row } from '../support/index.js';

const SCENARIO = '9 crash recovery at the defaults';
const L = 50;
const API_LATENCY_MS = 30;
/** Urgent takedowns held by the worker that is killed, per round. */
const PER_ROUND = 4;
/** Long enough that the held calls are still in flight when the worker dies. */
const HANG_MS = 30_000;

function startWorker(env: BenchEnvironment, prefix: string): WorkerProcess {
  // The defaults (lock 4 s, stall check 1 s, verify on, limiter on); only plumbing is set.
  return spawnWorker({
    redisUrl: env.redisUrl,
    prefix,
    agoraBaseUrl: env.sim.url,
    customerId: BENCH_CUSTOMER_ID,
    customerSecret: BENCH_CUSTOMER_SECRET,
    env: { AGORA_APP_ID: BENCH_APP_ID, HTTP_PORT: '0' },
  });
}

/**
 * SIGKILL of a `takedown worker` holding urgent takedowns (their calls hang at the API) → each
 * SID cut by another worker that was already running, at the default lock and stall settings.
 * Several rounds, so the kill falls at different points of the lock-renewal and stall-check
 * cycles. p99 must be under 10 s.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const rounds = opts.quick ? 2 : 5;
  const env = await startBenchEnvironment({
    latencyMs: API_LATENCY_MS,
    deleteRps: L,
    queryRps: 2 * L,
    createRps: L,
  });
  const workers: WorkerProcess[] = [];
  const recoveries: number[] = [];
  try {
    for (let round_ = 1; round_ <= rounds; round_++) {
      // A queue per round: the previous round's takedowns are still settling or verifying when
      // its workers stop, and must not be held (and recovered) in the next round.
      const prefix = `bench-crash-${round_}`;
      const producer = await benchProducer(env.redisUrl, prefix);
      const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix });
      try {
        const a = startWorker(env, prefix);
        workers.push(a);
        await a.ready(60_000);
        await env.admin.setFaults({ latencyMs: HANG_MS });
        const streams = await env.admin.seed({
          appId: BENCH_APP_ID,
          region: BENCH_REGION,
          count: PER_ROUND,
          reconnect: false,
        });
        await producer.enqueueMany(requestsFor(streams, BENCH_APP_ID, 'urgent'));
        await waitFor(async () => (await queue.getActiveCount()) === PER_ROUND, {
          timeoutMs: 20_000,
          what: 'the urgent takedowns active in the first worker',
        });
        // The other worker is up and idle before the crash, as in a deployment of several.
        const b = startWorker(env, prefix);
        workers.push(b);
        await b.ready(60_000);
        const since = (await env.admin.calls()).at(-1)?.seq ?? 0;
        a.kill('SIGKILL');
        const killedAt = Date.now();
        await a.exited;
        await env.admin.setFaults({ latencyMs: API_LATENCY_MS });
        const cuts = await waitForCuts(
          env.admin,
          streams.map((s) => s.sid),
          60_000,
          since,
        );
        const times = [...cuts.values()].map((t) => t - killedAt);
        recoveries.push(...times);
        opts.log(
          `  round ${round_}/${rounds}: cut ${round(Math.min(...times) / 1000, 2)}–${round(Math.max(...times) / 1000, 2)} s after the SIGKILL`,
        );
        b.kill('SIGTERM');
        await b.exited;
      } finally {
        await queue.close();
        await producer.close();
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await env.close();
  }
  const details = {
    rounds,
    perRound: PER_ROUND,
    lockDurationMs: 4000,
    stalledIntervalMs: 1000,
    recoveriesMs: recoveries,
  };
  return [
    makeRow({
      scenario: SCENARIO,
      figure: 'SIGKILL → SID cut by another worker, p50',
      value: percentile(recoveries, 50) / 1000,
      unit: 's',
      details,
    }),
    makeRow({
      scenario: SCENARIO,
      figure: `SIGKILL → SID cut by another worker, p99 (${rounds} kills × ${PER_ROUND} urgent)`,
      value: percentile(recoveries, 99) / 1000,
      unit: 's',
      check: { on: 'value', op: '<', limit: 10 },
      details,
    }),
  ];
}

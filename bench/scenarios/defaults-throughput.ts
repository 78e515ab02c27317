import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_CONCURRENCY,
  BENCH_APP_ID,
  BENCH_REGION,
  deleteRates,
  makeRow,
  pausedQueue,
  redisCommandCount,
  requestsFor,
  round,
  startBenchEnvironment,
  startWorkerHost,
  workerEnv,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row } from '../support/index.js';

const SCENARIO = '7 one worker at the defaults';
/** Agora's published delete limit per App ID (AGORA_DELETE_RPS's default). */
const L = 50;
const API_LATENCY_MS = 30;
/** BullMQ's own lock and stall-check defaults, which this project used before issue 10. */
const OLD_LOCK_STALL = { WORKER_LOCK_DURATION_MS: '30000', WORKER_STALLED_INTERVAL_MS: '30000' };

interface Measured {
  takedowns: number;
  rate: number;
  status429: number;
  failed: number;
  commandsPerTakedown: number;
  elapsedMs: number;
  parkedBySettle: number;
}

/**
 * One `takedown worker` configuration (the built dist/, in its own process) on a fresh prefix:
 * `n` key+SID takedowns enqueued into a paused queue, released at once, timed to the last one.
 */
async function measure(
  env: BenchEnvironment,
  label: string,
  n: number,
  extra: Record<string, string>,
): Promise<Measured> {
  const prefix = `bench-defaults-${label}`;
  await env.admin.reset({ deleteRps: L, queryRps: 2 * L, createRps: L });
  const queue = await pausedQueue(env.redisClient, prefix);
  const producer = await benchProducer(env.redisUrl, prefix);
  // Only the App ID and the test's plumbing are set: verify, its delay, concurrency, limiter,
  // lock and stall settings are the defaults (unless `extra` says otherwise).
  const host = await startWorkerHost(
    'takedown',
    workerEnv({
      redisUrl: env.redisUrl,
      prefix,
      agoraBaseUrl: env.sim.url,
      verify: true,
      logLevel: 'info',
      extra,
    }),
  );
  try {
    const streams = await env.admin.seed({
      appId: BENCH_APP_ID,
      region: BENCH_REGION,
      count: n,
      reconnect: false,
    });
    const enq = await producer.enqueueMany(requestsFor(streams, BENCH_APP_ID));
    if (enq.counts.enqueued !== n) throw new Error(`${label}: enqueued ${enq.counts.enqueued}`);
    const since = (await env.admin.calls()).at(-1)?.seq ?? 0;
    const before = await redisCommandCount(env.redisClient);
    const r = await host.run(n, { timeoutMs: ((2 * n) / L) * 1000 * 4 + 60_000 });
    const commands = (await redisCommandCount(env.redisClient)) - before;
    if (r.failed > 0) throw new Error(`${label}: ${r.failed} failed: ${r.firstFailure ?? ''}`);
    const calls = await env.admin.calls(since);
    const [rate] = deleteRates(calls, [BENCH_APP_ID]);
    const jobs = await queue.getCompleted(0, n);
    return {
      takedowns: n,
      rate: rate?.rate ?? Number.NaN,
      status429: calls.filter((c) => c.status === 429).length,
      failed: r.failed,
      commandsPerTakedown: commands / n,
      elapsedMs: r.elapsedMs,
      // Every verified takedown waited its settle parked, not in a worker slot.
      parkedBySettle: jobs.filter((j) => (j.attemptsStarted ?? 0) > 1).length,
    };
  } finally {
    await host.close();
    await producer.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/**
 * Redis commands per second that the lock renewals and stall checks of one worker cost with
 * `concurrency` jobs active: the jobs hang in an API call, so the worker sends nothing else.
 */
async function lockStallCommandsPerSecond(
  env: BenchEnvironment,
  label: string,
  extra: Record<string, string>,
  windowMs: number,
): Promise<number> {
  const prefix = `bench-lock-${label}`;
  const concurrency = DEFAULT_CONCURRENCY;
  const queue = await pausedQueue(env.redisClient, prefix);
  const producer = await benchProducer(env.redisUrl, prefix);
  const host = await startWorkerHost(
    'takedown',
    workerEnv({ redisUrl: env.redisUrl, prefix, agoraBaseUrl: env.sim.url, verify: true, extra }),
  );
  try {
    await env.admin.setFaults({ latencyMs: 120_000 });
    const streams = await env.admin.seed({
      appId: BENCH_APP_ID,
      region: BENCH_REGION,
      count: concurrency,
      reconnect: false,
    });
    await producer.enqueueMany(requestsFor(streams, BENCH_APP_ID));
    await queue.resume();
    const deadline = Date.now() + 30_000;
    while ((await queue.getActiveCount()) < concurrency) {
      if (Date.now() > deadline) throw new Error(`${label}: jobs did not become active`);
      await sleep(100);
    }
    const before = await redisCommandCount(env.redisClient);
    await sleep(windowMs);
    // Less the two INFO calls of this measurement.
    return ((await redisCommandCount(env.redisClient)) - before - 2) / (windowMs / 1000);
  } finally {
    await env.admin.setFaults({ latencyMs: API_LATENCY_MS });
    await host.close();
    await producer.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

/**
 * The worker people start: verify on (2 s settle), limiter on (50 deletes/s), concurrency 60, one
 * process, 30 ms API latency, the simulator enforcing 50 deletes/s. Deletes/s over the limit must
 * be ≥ 0.9 with no 429. Redis commands per takedown are counted from INFO commandstats. What the
 * quick crash recovery costs (lock renewals and stall checks at 4 s / 1 s instead of BullMQ's
 * 30 s / 30 s) is measured on a worker whose 20 jobs hang in a call, so nothing else is sent,
 * and spread over the takedowns of the run.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const n = opts.quick ? 300 : 1000;
  const env = await startBenchEnvironment({
    latencyMs: API_LATENCY_MS,
    deleteRps: L,
    queryRps: 2 * L,
    createRps: L,
  });
  try {
    opts.log(`${SCENARIO}: ${n} key+SID takedowns, defaults, ${API_LATENCY_MS} ms API latency`);
    const now = await measure(env, 'now', n, {});
    opts.log(
      `  ${round(now.rate, 1)} deletes/s, ${now.status429} × 429, ` +
        `${round(now.commandsPerTakedown, 1)} Redis commands/takedown, ${round(now.elapsedMs / 1000, 1)} s`,
    );
    // Shorter than AGORA_TIMEOUT_MS (10 s): the hanging calls must not time out meanwhile.
    const windowMs = opts.quick ? 5000 : 8000;
    opts.log(`${SCENARIO}: lock renewals + stall checks, 60 jobs active, 4 s/1 s vs 30 s/30 s`);
    const lockNow = await lockStallCommandsPerSecond(env, 'now', {}, windowMs);
    const lockOld = await lockStallCommandsPerSecond(env, 'old', OLD_LOCK_STALL, windowMs);
    // What the shorter lock and stall interval add over a takedown's share of the run.
    const extraPerTakedown = ((lockNow - lockOld) * (now.elapsedMs / 1000)) / now.takedowns;
    opts.log(
      `  ${round(lockNow, 1)} vs ${round(lockOld, 1)} commands/s: +${round(extraPerTakedown, 2)} per takedown`,
    );
    const details = {
      apiLatencyMs: API_LATENCY_MS,
      limit: L,
      defaults: now,
      lockStallCommandsPerSecond: { lock4sStall1s: lockNow, lock30sStall30s: lockOld },
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `deletes/s, ${n} key+SID takedowns, 1 process, all defaults`,
        value: now.rate,
        unit: '/s',
        baseline: { label: 'AGORA_DELETE_RPS', value: L },
        check: { on: 'ratio', op: '>=', limit: 0.9 },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: '429 answers',
        value: now.status429,
        unit: '',
        check: { on: 'value', op: '<=', limit: 0 },
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'Redis commands per takedown (INFO commandstats, script commands included)',
        value: now.commandsPerTakedown,
        unit: '',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'extra commands per takedown: 4 s lock + 1 s stall check vs 30 s + 30 s',
        value: extraPerTakedown,
        unit: '',
        baseline: { label: 'commands per takedown', value: now.commandsPerTakedown },
        check: { on: 'ratio', op: '<=', limit: 0.05 },
        details,
      }),
    ];
  } finally {
    await env.close();
  }
}

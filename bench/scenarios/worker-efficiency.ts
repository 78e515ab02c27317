import type { Queue } from 'bullmq';
import { createProducer } from '../../src/producer/index.js';
import type { Producer } from '../../src/producer/index.js';
import {
  BENCH_REGION,
  makeRow,
  max,
  median,
  pausedQueue,
  perSecond,
  requestsFor,
  round,
  startBenchEnvironment,
  startWorkerHost,
  workerEnv,
} from '../support/index.js';
import type {
  BenchEnvironment,
  BenchOptions,
  Row,
  WorkerHost,
  WorkerKind,
} from '../support/index.js';

// An extra row: a configuration nobody runs (limiter and verify off), kept to compare the
// worker's own overhead against bare BullMQ.
const SCENARIO = '2 worker efficiency [extra: limiter off, verify off]';
/** Same for both workers: the configured default (WORKER_CONCURRENCY). */
const CONCURRENCY = 60;
/** Jobs a fresh worker process runs before the timed part (JIT, connection pools). */
const WARMUP = 300;

export interface Variant {
  /** Requests name the stream's channel (saves the real worker its query-key in resolve). */
  withChannel?: boolean;
  logLevel?: string;
}

export interface Measured {
  kind: WorkerKind;
  jobs: number;
  elapsedMs: number;
  rate: number;
  cpuUsPerJob: number;
  callsPerJob: number;
  byOp: Record<string, number>;
}

/** One worker process under test, on its own queue prefix and App ID. */
export interface Contender {
  kind: WorkerKind;
  label: string;
  appId: string;
  variant: Variant;
  queue: Queue;
  producer: Producer;
  host: WorkerHost;
  close(): Promise<void>;
}

async function enqueueSeeded(env: BenchEnvironment, c: Contender, count: number): Promise<void> {
  const streams = await env.admin.seed({
    appId: c.appId,
    region: BENCH_REGION,
    count,
    reconnect: false,
  });
  const requests = requestsFor(streams, c.appId).map((r, i) =>
    c.variant.withChannel === true ? { ...r, channel: streams[i]?.channel } : r,
  );
  const enq = await c.producer.enqueueMany(requests);
  if (enq.counts.enqueued !== count) {
    throw new Error(`enqueued ${enq.counts.enqueued} of ${count} (${JSON.stringify(enq.counts)})`);
  }
}

/** Starts a worker process of `kind` and warms it up on WARMUP takedowns. */
export async function startContender(
  env: BenchEnvironment,
  kind: WorkerKind,
  label: string,
  variant: Variant = {},
): Promise<Contender> {
  const prefix = `bench-eff-${label}`;
  const appId = `bench${label.replace(/[^A-Za-z0-9]/g, '')}`;
  const producer = await createProducer({
    redis: env.redisUrl,
    prefix,
    attempts: 12,
    idempotencyWindowS: 604_800,
    defaultAppId: appId,
  });
  const queue = await pausedQueue(env.redisClient, prefix);
  let host: WorkerHost | undefined;
  const close = async (): Promise<void> => {
    await host?.close();
    await producer.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  };
  try {
    host = await startWorkerHost(
      kind,
      workerEnv({
        redisUrl: env.redisUrl,
        prefix,
        agoraBaseUrl: env.sim.url,
        appId,
        concurrency: CONCURRENCY,
        verify: false,
        ...(variant.logLevel === undefined ? {} : { logLevel: variant.logLevel }),
      }),
      { limiterOff: true },
    );
    const c: Contender = { kind, label, appId, variant, queue, producer, host, close };
    await enqueueSeeded(env, c, WARMUP);
    const warm = await host.run(WARMUP);
    if (warm.failed > 0)
      throw new Error(`${label}: warm-up jobs failed: ${warm.firstFailure ?? ''}`);
    await queue.pause();
    return c;
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Times `jobs` takedowns through one contender: enqueued into its paused queue beforehand (so
 * enqueueing is not part of the figure), then released; checks every one made its two DELETEs.
 */
export async function measure(
  env: BenchEnvironment,
  c: Contender,
  jobs: number,
): Promise<Measured> {
  await env.admin.reset({ deleteRps: 0, queryRps: 0, createRps: 0 });
  await enqueueSeeded(env, c, jobs);
  const r = await c.host.run(jobs);
  await c.queue.pause();
  if (r.failed > 0) throw new Error(`${c.label}: ${r.failed} jobs failed: ${r.firstFailure ?? ''}`);
  const calls = await env.admin.calls();
  const byOp: Record<string, number> = {};
  let notOk = 0;
  for (const call of calls) {
    byOp[call.op] = (byOp[call.op] ?? 0) + 1;
    if (call.status !== 200) notOk++;
  }
  if (byOp['delete-key'] !== jobs || byOp['disconnect'] !== jobs || notOk > 0) {
    throw new Error(
      `${c.label}: expected ${jobs} delete-key and ${jobs} disconnect calls, all answered 200; saw ${JSON.stringify(byOp)}, ${notOk} not 200`,
    );
  }
  return {
    kind: c.kind,
    jobs,
    elapsedMs: r.elapsedMs,
    rate: perSecond(jobs, r.elapsedMs),
    cpuUsPerJob: r.cpuUs / jobs,
    callsPerJob: calls.length / jobs,
    byOp,
  };
}

/**
 * The real worker (createTakedownWorker: limiter off, verify off, step cursor persisted, logging
 * at info to /dev/null) vs a bare BullMQ Worker making the same three calls (the key/SID check's
 * query, revoke, disconnect) with the same Agora client, same concurrency, same kind of jobs. Each runs in its own process (the built dist/),
 * so CPU is the worker's alone; the simulator (in this process) answers at once. Both processes
 * stay up and take turns (bare, real, bare, real…), so other load on the machine hits both
 * alike; the best run of each is compared (interference only ever slows a run down).
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const jobs = opts.quick ? 2000 : 10_000;
  const rounds = opts.quick ? 2 : 3;
  const env = await startBenchEnvironment({ latencyMs: 0 });
  const results: Measured[] = [];
  const contenders: Contender[] = [];
  try {
    opts.log(`${SCENARIO}: starting and warming up both workers (${WARMUP} takedowns each)`);
    contenders.push(await startContender(env, 'bare', 'bare'));
    contenders.push(await startContender(env, 'takedown', 'real'));
    for (let i = 0; i < rounds; i++) {
      for (const c of contenders) {
        const m = await measure(env, c, jobs);
        opts.log(
          `  round ${i + 1}/${rounds} ${c.kind}: ${round(m.rate, 0)}/s over ${round(m.elapsedMs / 1000, 1)} s, ` +
            `${round(m.cpuUsPerJob, 0)} µs CPU/takedown, ${round(m.callsPerJob, 2)} API calls/takedown`,
        );
        results.push(m);
      }
    }
  } finally {
    for (const c of contenders) await c.close();
    await env.close();
  }
  const of = (kind: WorkerKind): Measured[] => results.filter((r) => r.kind === kind);
  const rate = (kind: WorkerKind): number => max(of(kind).map((r) => r.rate));
  const cpu = (kind: WorkerKind): number => median(of(kind).map((r) => r.cpuUsPerJob));
  const details = {
    concurrency: CONCURRENCY,
    warmup: WARMUP,
    jobsPerRun: jobs,
    rounds,
    runs: results.map((r) => ({
      kind: r.kind,
      rate: round(r.rate, 1),
      elapsedMs: round(r.elapsedMs, 0),
      cpuUsPerJob: round(r.cpuUsPerJob, 1),
      callsPerJob: round(r.callsPerJob, 2),
      callsByOp: r.byOp,
    })),
  };
  return [
    makeRow({
      scenario: SCENARIO,
      figure: 'takedowns/s (0 ms API, limiter off, verify off), best run',
      value: rate('takedown'),
      unit: '/s',
      baseline: { label: 'bare BullMQ + same client', value: rate('bare') },
      check: { on: 'ratio', op: '>=', limit: 0.7 },
      details,
    }),
    makeRow({
      scenario: SCENARIO,
      figure: 'CPU µs per takedown (worker process), median',
      value: cpu('takedown'),
      unit: 'µs',
      baseline: { label: 'bare BullMQ + same client', value: cpu('bare') },
      details,
    }),
  ];
}

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import {
  TAKEDOWN_JOB_NAME,
  TAKEDOWN_QUEUE,
  parseTakedownRequest,
  takedownJobId,
  toBullPriority,
} from '../../src/jobs/index.js';
import type { TakedownJobData } from '../../src/jobs/index.js';
import { createProducer } from '../../src/producer/index.js';
import {
  BENCH_APP_ID,
  REPO_ROOT,
  cleanEnv,
  makeRow,
  max,
  mib,
  perSecond,
  round,
  runCli,
  startBenchEnvironment,
  syntheticRequests,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, BenchRequest, Row } from '../support/index.js';

const SCENARIO = '1 enqueue';
const IDEMPOTENCY_WINDOW_S = 604_800;
const ATTEMPTS = 12;
/** enqueueMany's default chunk: the baseline adds in the same chunks. */
const CHUNK = 1000;

type BulkJob = { name: string; data: TakedownJobData; opts: JobsOptions };

/** The same jobs enqueueMany writes (data, id, priority, attempts, retention), ready for addBulk. */
function baselineJobs(requests: readonly BenchRequest[]): BulkJob[] {
  return requests.map((request, i) => {
    const parsed = parseTakedownRequest(request, { defaultAppId: BENCH_APP_ID });
    if (!parsed.ok) throw new Error(`request ${i} invalid: ${JSON.stringify(parsed.errors)}`);
    const payload = parsed.value;
    const jobId = takedownJobId(payload);
    return {
      name: TAKEDOWN_JOB_NAME,
      data: { enqueueToken: 'baseline-token-0000000', payload },
      opts: {
        jobId,
        priority: toBullPriority(payload.priority),
        attempts: ATTEMPTS,
        backoff: { type: 'custom' },
        removeOnComplete: { age: IDEMPOTENCY_WINDOW_S },
        removeOnFail: false,
      },
    };
  });
}

async function timeAddBulk(
  env: BenchEnvironment,
  jobs: readonly BulkJob[],
  prefix: string,
): Promise<number> {
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix });
  await queue.waitUntilReady();
  try {
    const t0 = performance.now();
    for (let i = 0; i < jobs.length; i += CHUNK) await queue.addBulk(jobs.slice(i, i + CHUNK));
    return performance.now() - t0;
  } finally {
    await queue.close();
  }
}

async function timeEnqueueMany(
  env: BenchEnvironment,
  requests: readonly BenchRequest[],
  prefix: string,
): Promise<number> {
  const producer = await createProducer({
    redis: env.redisUrl,
    prefix,
    attempts: ATTEMPTS,
    idempotencyWindowS: IDEMPOTENCY_WINDOW_S,
    defaultAppId: BENCH_APP_ID,
  });
  try {
    const t0 = performance.now();
    const result = await producer.enqueueMany(requests);
    const ms = performance.now() - t0;
    if (result.counts.enqueued !== requests.length) {
      throw new Error(`enqueueMany enqueued ${result.counts.enqueued} of ${requests.length}`);
    }
    return ms;
  } finally {
    await producer.close();
  }
}

function csvFor(requests: readonly BenchRequest[]): string {
  const lines = ['sid,streamKey,region,appId,channel,reason'];
  for (const r of requests)
    lines.push(`${r.sid},${r.streamKey},${r.region},${r.appId},ch-${r.sid.slice(-6)},policy sweep`);
  return `${lines.join('\n')}\n`;
}

/** Waits (up to `ms`) for another helper's `batch` command to land in dist/ and be registered. */
async function batchCommandAvailable(env: Record<string, string>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (existsSync(join(REPO_ROOT, 'dist', 'cli', 'commands', 'batch.js'))) {
      // Listed in the top-level help = registered (an unknown `batch --help` also exits 0).
      const help = await runCli(['--help'], env);
      if (help.code === 0 && /^ {2}batch\b/m.test(help.stdout)) return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(2000);
  }
}

async function cliBatch(
  env: BenchEnvironment,
  rows: number,
  inProcessRate: number,
  opts: BenchOptions,
): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'takedown-bench-csv-'));
  try {
    const file = join(dir, 'sweep.csv');
    await writeFile(file, csvFor(syntheticRequests(rows, BENCH_APP_ID, 'csv')));
    const cliEnv = cleanEnv({
      REDIS_URL: env.redisUrl,
      TAKEDOWN_PREFIX: 'bench-cli',
      AGORA_APP_ID: BENCH_APP_ID,
      LOG_LEVEL: 'warn',
    });
    if (!(await batchCommandAvailable(cliEnv, 1000))) {
      throw new Error(
        '`takedown batch` is not available in dist/ (not written or not registered in src/cli/main.ts COMMANDS)',
      );
    }
    opts.log(`${SCENARIO}: takedown batch on a ${rows}-row CSV`);
    const run = await runCli(['batch', file, '--json'], cliEnv);
    if (run.code !== 0) {
      throw new Error(`takedown batch exited ${run.code ?? run.signal}: ${run.stderr.slice(-800)}`);
    }
    let report: Record<string, unknown> = {};
    try {
      report = JSON.parse(run.stdout) as Record<string, unknown>;
    } catch {
      throw new Error(
        `takedown batch --json printed no JSON document: ${run.stdout.slice(0, 300)}`,
      );
    }
    if (report['enqueued'] !== rows) {
      throw new Error(`takedown batch enqueued ${String(report['enqueued'])} of ${rows} rows`);
    }
    const counted = await env.redisClient.zcard(`bench-cli:${TAKEDOWN_QUEUE}:prioritized`);
    const rate = perSecond(rows, run.wallMs);
    opts.log(`  batch: ${round(rate, 0)} rows/s, peak RSS ${round(mib(run.peakRssBytes), 1)} MiB`);
    const details = {
      rows,
      wallMs: round(run.wallMs, 0),
      peakRssSource: run.peakRssSource,
      jobsInQueue: counted,
      report: {
        total: report['total'],
        enqueued: report['enqueued'],
        rejected: report['rejected'],
      },
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `CLI batch, ${rows / 1000}k-row CSV (whole process)`,
        value: rate,
        unit: 'rows/s',
        baseline: { label: 'enqueueMany in-process', value: inProcessRate },
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `CLI batch peak RSS, ${rows / 1000}k rows`,
        value: mib(run.peakRssBytes),
        unit: 'MiB',
        check: { on: 'value', op: '<', limit: 200 },
        details,
      }),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * enqueueMany (validation, ids, addBulk in chunks, read-back for duplicates, batch membership)
 * vs raw queue.addBulk of the same jobs (same data, ids and options, same chunks, prepared
 * beforehand), each into an empty queue, alternating, best run of each (interference only slows
 * a run down); then the CLI `batch` on a generated CSV.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const count = 50_000;
  const rounds = opts.quick ? 2 : 3;
  const csvRows = 100_000;
  const env = await startBenchEnvironment();
  try {
    const requests = syntheticRequests(count, BENCH_APP_ID, 'enq');
    const jobs = baselineJobs(requests);
    // Warm-up (JIT, Lua script loading) of both paths, so neither pays it in the timed runs.
    await timeAddBulk(env, jobs.slice(0, 2000), 'bench-warm-add');
    await timeEnqueueMany(env, requests.slice(0, 2000), 'bench-warm-enq');
    await env.flush();
    const base: number[] = [];
    const ours: number[] = [];
    const timeBase = async (i: number): Promise<void> => {
      base.push(perSecond(count, await timeAddBulk(env, jobs, `bench-add-${i}`)));
      await env.flush();
    };
    const timeOurs = async (i: number): Promise<void> => {
      ours.push(perSecond(count, await timeEnqueueMany(env, requests, `bench-enq-${i}`)));
      await env.flush();
    };
    for (let i = 0; i < rounds; i++) {
      opts.log(
        `${SCENARIO}: addBulk vs enqueueMany, ${count} takedowns (round ${i + 1}/${rounds})`,
      );
      // Alternate which goes first, so drift (other load, Redis growth) does not favour one.
      if (i % 2 === 0) {
        await timeBase(i);
        await timeOurs(i);
      } else {
        await timeOurs(i);
        await timeBase(i);
      }
      opts.log(`  addBulk ${round(base[i] ?? 0, 0)}/s, enqueueMany ${round(ours[i] ?? 0, 0)}/s`);
    }
    const rows: Row[] = [
      makeRow({
        scenario: SCENARIO,
        figure: `enqueueMany, ${count / 1000}k takedowns, best run`,
        value: max(ours),
        unit: 'jobs/s',
        baseline: { label: 'raw queue.addBulk', value: max(base) },
        check: { on: 'ratio', op: '>=', limit: 0.8 },
        details: {
          count,
          rounds,
          addBulk: base.map((x) => round(x, 0)),
          enqueueMany: ours.map((x) => round(x, 0)),
        },
      }),
    ];
    try {
      rows.push(...(await cliBatch(env, csvRows, max(ours), opts)));
    } catch (err) {
      rows.push(
        makeRow({
          scenario: SCENARIO,
          figure: `CLI batch, ${csvRows / 1000}k-row CSV`,
          value: Number.NaN,
          unit: '',
          check: { on: 'value', op: '<', limit: 200 },
          details: { error: (err as Error).message },
        }),
      );
    }
    return rows;
  } finally {
    await env.close();
  }
}

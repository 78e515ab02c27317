import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import { spawnWorker } from '../../test/support/worker-process.js';
import {
  BENCH_APP_ID,
  BENCH_CUSTOMER_ID,
  BENCH_CUSTOMER_SECRET,
  BENCH_MODERATION,
  BENCH_REGION,
  cleanEnv,
  makeRow,
  measureAuditMemory,
  mib,
  perSecond,
  requestsFor,
  round,
  runCli,
  seedAuditRecords,
  startBenchEnvironment,
  waitDrained,
  benchProducer,
} from '../support/index.js';
import type { BenchEnvironment, BenchOptions, Row } from '../support/index.js';

const SCENARIO = '13 audit trail';
const REAL_PREFIX = 'bench-audit-real';
const EXPORT_PREFIX = 'bench-audit-export';
const EXPORT_RECORDS = 100_000;
const RSS_LIMIT_MIB = 200;

/**
 * Bytes per takedown: `takedown worker` (defaults: verify on with its settle, limiter raised so
 * it does not set the pace) takes down `count` live key+SID streams whose requests carry a
 * requester, a reason and the DSA moderation fields; then MEMORY USAGE of every audit key.
 */
async function realTakedowns(
  env: BenchEnvironment,
  count: number,
  opts: BenchOptions,
): Promise<Row> {
  const streams = await env.admin.seed({
    appId: BENCH_APP_ID,
    region: BENCH_REGION,
    count,
    reconnect: false,
  });
  const producer = await benchProducer(env.redisUrl, REAL_PREFIX);
  try {
    const requests = requestsFor(streams, BENCH_APP_ID).map((r) => ({ ...r, ...BENCH_MODERATION }));
    const res = await producer.enqueueMany(requests);
    if (res.counts.enqueued !== count)
      throw new Error(`enqueued ${res.counts.enqueued} of ${count}`);
  } finally {
    await producer.close();
  }
  opts.log(`${SCENARIO}: takedown worker takes down ${count} streams`);
  const worker = spawnWorker({
    redisUrl: env.redisUrl,
    prefix: REAL_PREFIX,
    agoraBaseUrl: env.sim.url,
    customerId: BENCH_CUSTOMER_ID,
    customerSecret: BENCH_CUSTOMER_SECRET,
    env: {
      AGORA_APP_ID: BENCH_APP_ID,
      AGORA_DELETE_RPS: '2000',
      AGORA_QUERY_RPS: '4000',
    },
  });
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix: REAL_PREFIX });
  try {
    await worker.ready(60_000);
    const drained = await waitDrained(queue, count, 300_000, 250);
    if (drained.failed > 0) throw new Error(`${drained.failed} takedowns failed`);
    // A graceful stop: every run's audit write is finished before the process exits.
    worker.kill('SIGTERM');
    await worker.exited;
  } finally {
    await queue.close();
    await worker.close();
  }
  const m = await measureAuditMemory(env.redisClient, REAL_PREFIX);
  if (m.records !== count) throw new Error(`${m.records} audit records for ${count} takedowns`);
  const perTakedown = (m.recordBytes + m.indexBytes) / count;
  opts.log(
    `  ${round(perTakedown, 0)} B per takedown (record ${round(m.recordBytes / count, 0)} B, of which JSON ${round(m.textBytes / count, 0)} B; index ${round(m.indexBytes / count, 0)} B)`,
  );
  return makeRow({
    scenario: SCENARIO,
    figure: `Redis bytes per takedown (${count} by takedown worker, key+SID, DSA fields)`,
    value: perTakedown,
    unit: 'B',
    details: {
      takedowns: count,
      measuredBy: 'MEMORY USAGE … SAMPLES 0 of each record and of the index',
      recordBytesPerTakedown: round(m.recordBytes / count, 0),
      jsonBytesPerTakedown: round(m.textBytes / count, 0),
      indexBytesPerTakedown: round(m.indexBytes / count, 0),
      gibPerMillionTakedowns: round((perTakedown * 1e6) / 2 ** 30, 2),
    },
  });
}

/** Lines in a file, counted while streaming it (an export of 100,000 records is ~100 MB). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** `takedown audit export --format FORMAT --out FILE` as a user runs it: rows/s and peak RSS. */
async function cliExport(
  env: BenchEnvironment,
  format: 'jsonl' | 'csv' | 'dsa',
  dir: string,
  opts: BenchOptions,
): Promise<Row[]> {
  const file = join(dir, `audit.${format}`);
  opts.log(`${SCENARIO}: takedown audit export --format ${format}, ${EXPORT_RECORDS} records`);
  const run = await runCli(
    ['audit', 'export', '--format', format, '--out', file],
    cleanEnv({
      REDIS_URL: env.redisUrl,
      TAKEDOWN_PREFIX: EXPORT_PREFIX,
      AGORA_APP_ID: BENCH_APP_ID,
      LOG_LEVEL: 'warn',
    }),
  );
  if (run.code !== 0) {
    throw new Error(`audit export exited ${run.code ?? run.signal}: ${run.stderr.slice(-800)}`);
  }
  const printed = /exported (\d+) /.exec(run.stderr);
  const rows = (await countLines(file)) - (format === 'csv' ? 1 : 0);
  if (Number(printed?.[1]) !== EXPORT_RECORDS || rows !== EXPORT_RECORDS) {
    throw new Error(
      `audit export --format ${format} wrote ${rows} rows (said: ${run.stderr.trim()}) of ${EXPORT_RECORDS}`,
    );
  }
  const rate = perSecond(rows, run.wallMs);
  const rssMiB = mib(run.peakRssBytes);
  opts.log(`  ${format}: ${round(rate, 0)} rows/s, peak RSS ${round(rssMiB, 1)} MiB`);
  const details = {
    rows,
    wallMs: round(run.wallMs, 0),
    peakRssSource: run.peakRssSource,
    command: `takedown audit export --format ${format} --out FILE`,
  };
  return [
    makeRow({
      scenario: SCENARIO,
      figure: `audit export --format ${format}, ${EXPORT_RECORDS / 1000}k records (whole process)`,
      value: rate,
      unit: 'rows/s',
      details,
    }),
    makeRow({
      scenario: SCENARIO,
      figure: `audit export --format ${format} peak RSS, ${EXPORT_RECORDS / 1000}k records`,
      value: rssMiB,
      unit: 'MiB',
      check: { on: 'value', op: '<', limit: RSS_LIMIT_MIB },
      details,
    }),
  ];
}

/**
 * The audit trail: what one takedown's record costs in Redis (real takedowns by `takedown
 * worker`), and `takedown audit export` of 100,000 records — written as the worker writes them,
 * pipelined — as a child process: rows/s and peak RSS (< 200 MiB) for jsonl, and in a full run
 * csv and dsa too.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const realCount = opts.quick ? 1000 : 5000;
  const formats = opts.quick ? (['jsonl'] as const) : (['jsonl', 'csv', 'dsa'] as const);
  const env = await startBenchEnvironment();
  const dir = await mkdtemp(join(tmpdir(), 'takedown-bench-audit-'));
  try {
    const rows: Row[] = [await realTakedowns(env, realCount, opts)];
    await env.flush();

    opts.log(`${SCENARIO}: writing ${EXPORT_RECORDS} audit records`);
    const before = await env.usedMemory();
    const t0 = performance.now();
    await seedAuditRecords({
      redis: env.redisClient,
      prefix: EXPORT_PREFIX,
      count: EXPORT_RECORDS,
      // A day ago, 10 takedowns per request millisecond, 2.5 s apart: about 7 hours of takedowns.
      startMs: Date.now() - 86_400_000,
    });
    const seedMs = performance.now() - t0;
    const perRecord = ((await env.usedMemory()) - before) / EXPORT_RECORDS;
    opts.log(
      `  written in ${round(seedMs / 1000, 1)} s; used_memory +${round(perRecord, 0)} B per record`,
    );
    rows.push(
      makeRow({
        scenario: SCENARIO,
        figure: `Redis used_memory per record, ${EXPORT_RECORDS / 1000}k written as the worker writes them`,
        value: perRecord,
        unit: 'B',
        details: { records: EXPORT_RECORDS, writeMs: round(seedMs, 0) },
      }),
    );
    for (const format of formats) rows.push(...(await cliExport(env, format, dir, opts)));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await env.close();
  }
}

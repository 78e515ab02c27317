import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { createAgoraClient } from '../../src/agora/index.js';
import { TAKEDOWN_QUEUE, takedownJobId } from '../../src/jobs/index.js';
import { ENFORCEMENT_QUEUE } from '../../src/notifications/index.js';
import {
  BENCH_APP_ID,
  BENCH_CUSTOMER_ID,
  BENCH_CUSTOMER_SECRET,
  BENCH_REGION,
  BIN,
  REPO_ROOT,
  cleanEnv,
  makeRow,
  percentile,
  requestsFor,
  startBenchEnvironment,
  workerEnv,
  benchProducer,
} from '../support/index.js';
import type { BenchOptions, Row } from '../support/index.js';

const SCENARIO = '11 enforcement';
const API_LATENCY_MS = 30;
const RULES = 50;
const NCS_SECRET = 'bench-ncs-secret-not-real';
const PREFIX = 'bench-enforce';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error('worker not ready within 30 s');
    await sleep(100);
  }
}

/**
 * Event POSTed → SID gone: the simulator posts a signed `live_stream_connected` (key masked) for
 * a push by a user one of 50 uid rules bans, the worker (`takedown worker`, default settings:
 * verify on, limiter on) matches it, looks the key up through the SID and cuts the push — while a
 * bulk batch drains through the same App ID's rate limit. Measured from the start of the push
 * (the simulator posts the event at once) to the SID no longer being live on the simulator.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const bulkCount = opts.quick ? 1500 : 3000;
  const pushes = opts.quick ? 15 : 40;
  const env = await startBenchEnvironment({ latencyMs: API_LATENCY_MS });
  const port = await freePort();
  const opsUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'worker'], {
    cwd: REPO_ROOT,
    env: cleanEnv(
      workerEnv({
        redisUrl: env.redisUrl,
        prefix: PREFIX,
        agoraBaseUrl: env.sim.url,
        verify: true,
        logLevel: 'warn',
        extra: { NCS_SECRET, HTTP_PORT: String(port) },
      }),
    ),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const producer = await benchProducer(env.redisUrl, PREFIX);
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: env.redisClient, prefix: PREFIX });
  const enforcement = new Queue(ENFORCEMENT_QUEUE, { connection: env.redisClient, prefix: PREFIX });
  const agora = createAgoraClient({
    baseUrl: env.sim.url,
    auth: { scheme: 'basic', customerId: BENCH_CUSTOMER_ID, customerSecret: BENCH_CUSTOMER_SECRET },
    timeoutMs: 10_000,
  });
  try {
    await waitReady(opsUrl, child);
    await env.admin.setNotifications({
      url: `${opsUrl}/v1/agora/notifications`,
      secret: NCS_SECRET,
    });
    opts.log(
      `${SCENARIO}: ${RULES} uid rules, ${bulkCount} bulk takedowns draining, ${pushes} banned pushes`,
    );
    for (let i = 0; i < RULES; i++) {
      await producer.addRule({
        uid: `9${String(i).padStart(4, '0')}`,
        durationS: 3600,
        reason: `bench rule ${i}`,
      });
    }
    // The rules' sweeps (4 regions each) run first; the pushes measured start after them.
    for (;;) {
      const c = await enforcement.getJobCounts('completed', 'failed');
      if ((c['completed'] ?? 0) + (c['failed'] ?? 0) >= RULES) break;
      await sleep(100);
    }
    const bulk = await env.admin.seed({
      appId: BENCH_APP_ID,
      region: BENCH_REGION,
      count: bulkCount,
      reconnect: false,
    });
    // Seeding starts every bulk stream at once: the simulator posts all their connect notices in
    // one burst. The measured pushes start once those are delivered (steady load: the batch's
    // disconnect notices), not behind a burst no real gateway sends.
    for (;;) {
      if ((await env.admin.notifications()).stats.pending === 0) break;
      await sleep(50);
    }
    const res = await producer.enqueueMany(requestsFor(bulk, BENCH_APP_ID, 'bulk'));
    if (res.counts.enqueued !== bulkCount) throw new Error(`bulk: enqueued ${res.counts.enqueued}`);
    await sleep(1000);

    const latencies: number[] = [];
    const started = new Map<string, number>();
    const gone = new Map<string, number>();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < pushes; i++) {
      const uid = `9${String(i % RULES).padStart(4, '0')}`;
      const { key } = await agora.createStreamKey({
        region: BENCH_REGION,
        appId: BENCH_APP_ID,
        channel: `bench-ban-${i}`,
        uid,
        expiresAfter: 0,
      });
      const t0 = performance.now();
      const wall = Date.now();
      const sid = await env.admin.startEncoder({
        appId: BENCH_APP_ID,
        region: BENCH_REGION,
        streamKey: key.streamKey,
        reconnect: false,
      });
      started.set(sid, wall);
      waits.push(
        (async () => {
          const deadline = Date.now() + 30_000;
          for (;;) {
            const live = await env.admin.streams({ appId: BENCH_APP_ID, streamKey: key.streamKey });
            if (!live.some((s) => s.sid === sid)) break;
            if (Date.now() > deadline) throw new Error(`push ${sid} still live after 30 s`);
            await sleep(10);
          }
          latencies.push(performance.now() - t0);
          gone.set(sid, performance.now() - t0);
        })(),
      );
      await sleep(150);
    }
    await Promise.all(waits);
    const bulkLeft = await queue.getPrioritizedCount();
    if (bulkLeft === 0)
      throw new Error('the bulk batch drained before the last push: not under load');
    // Where the time went: event → takedown enqueued (intake + enforcement worker); the rest is
    // the takedown's run up to the cut. (processedOn is not its first start: the verify settle
    // is a delayed move, and the job restarts after it.)
    const toEnqueue: number[] = [];
    for (const [sid, wall] of started) {
      const job = await queue.getJob(takedownJobId({ appId: BENCH_APP_ID, sid }));
      if (job === undefined) continue;
      toEnqueue.push(job.timestamp - wall);
    }
    opts.log(
      `  event → takedown enqueued p50 ${percentile(toEnqueue, 50)} ms p99 ${percentile(toEnqueue, 99)} ms`,
    );
    const p50 = Math.round(percentile(latencies, 50));
    const p99 = Math.round(percentile(latencies, 99));
    opts.log(`  event → SID gone p50 ${p50} ms, p99 ${p99} ms (${bulkLeft} bulk still queued)`);
    const details = {
      apiLatencyMs: API_LATENCY_MS,
      rules: RULES,
      pushes,
      bulkCount,
      bulkStillQueuedAfterLastPush: bulkLeft,
      p50,
      max: Math.round(Math.max(...latencies)),
      eventToEnqueuedP50: percentile(toEnqueue, 50),
      eventToEnqueuedP99: percentile(toEnqueue, 99),
      // In push order, to tell a cold first push from a slow path.
      eventToEnqueuedMs: toEnqueue,
      eventToGoneMs: [...started.keys()].map((sid) => Math.round(gone.get(sid) ?? -1)),
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `event POSTed → SID gone p50, ${RULES} rules, ${bulkCount} bulk draining`,
        value: p50,
        unit: 'ms',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `event POSTed → SID gone p99, ${RULES} rules, ${bulkCount} bulk draining`,
        value: p99,
        unit: 'ms',
        check: { on: 'value', op: '<=', limit: 1000 },
        details,
      }),
    ];
  } finally {
    await agora.close();
    await enforcement.close();
    await queue.close();
    await producer.close();
    child.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) resolve();
      else child.once('exit', () => resolve());
      setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 15_000).unref();
    });
    await env.close();
  }
}

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import { createProducer } from '../../src/producer/index.js';
import { createRedisConnection } from '../../src/redis/index.js';
import { startLocalCluster } from '../../test/support/redis-topology.js';
import type { RedisNode } from '../../test/support/redis-topology.js';
import {
  DEFAULT_CONCURRENCY,
  makeRow,
  perSecond,
  requestsFor,
  startBenchEnvironment,
  startWorkerHost,
  workerEnv,
} from '../support/index.js';
import type { BenchOptions, Row } from '../support/index.js';

const SCENARIO = '10 one Redis Cluster shard';
/** Agora's published delete limit per App ID; a takedown makes two deletes (key, SID). */
const AGORA_DELETE_RPS = 50;
const DELETES_PER_TAKEDOWN = 2;
/** App IDs the takedowns are spread over, so Agora's per-App-ID limit is not what is measured. */
const APP_IDS = 8;
const IDLE_SAMPLE_MS = 3000;

/** CPU seconds the node's main thread has used (what bounds a shard: Redis runs commands on one). */
async function mainThreadCpuS(node: RedisNode): Promise<number> {
  const client = node.admin();
  try {
    const info = await client.info('cpu');
    const field = (name: string): number =>
      Number(
        /^(\S+):(.*)$/m.exec(info.split('\r\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2],
      );
    const user = field('used_cpu_user_main_thread');
    const sys = field('used_cpu_sys_main_thread');
    return Number.isFinite(user + sys)
      ? user + sys
      : field('used_cpu_user') + field('used_cpu_sys');
  } finally {
    client.disconnect();
  }
}

/**
 * A BullMQ queue lives in one hash slot, so on one shard. This runs the real worker (verify on,
 * limiter on, one process at the default concurrency) against a local 3-master Redis Cluster
 * at 30 ms simulated API latency, and measures the main-thread CPU the shard holding the queue
 * spends per takedown: one core of it is what a shard can give, so 1 / that is the most
 * takedowns/s one shard carries, and / 25 (Agora's 50 deletes/s per App ID, 2 deletes per
 * takedown) how many App IDs at full rate it serves.
 */
export async function run(opts: BenchOptions): Promise<Row[]> {
  const takedowns = opts.quick ? 200 : 600;
  const cluster = await startLocalCluster();
  const env = await startBenchEnvironment({ latencyMs: 30 });
  const prefix = '{bench-shard}';
  const settings = cluster.settings;
  const connection = createRedisConnection(settings, { role: 'worker' });
  const queue = new Queue(TAKEDOWN_QUEUE, { connection, prefix });
  const producer = await createProducer({
    redis: settings,
    prefix,
    attempts: 12,
    idempotencyWindowS: 604_800,
  });
  let host: Awaited<ReturnType<typeof startWorkerHost>> | undefined;
  try {
    await queue.pause();
    const perApp = Math.ceil(takedowns / APP_IDS);
    for (let i = 0; i < APP_IDS; i++) {
      const appId = `benchShard${i}`;
      const streams = await env.admin.seed({
        appId,
        region: 'na',
        count: perApp,
        reconnect: false,
      });
      const enq = await producer.enqueueMany(requestsFor(streams, appId));
      if (enq.counts.enqueued !== perApp) throw new Error(`enqueued ${JSON.stringify(enq.counts)}`);
    }
    const total = perApp * APP_IDS;
    const shard = await cluster.masterOf(`${prefix}:${TAKEDOWN_QUEUE}:meta`);
    const envVars = workerEnv({
      redisUrl: '',
      prefix,
      agoraBaseUrl: env.sim.url,
      deleteRps: AGORA_DELETE_RPS,
      verify: true,
      logLevel: 'warn',
      extra: cluster.env,
    });
    delete envVars['REDIS_URL'];
    // Verify on with its default settle delay, the limiter on and the default concurrency, as
    // users run it (the figure is the shard's cost per takedown, not the worker's speed).
    host = await startWorkerHost('takedown', envVars);
    opts.log(`${total} takedowns over ${APP_IDS} App IDs, queue shard ${shard.address}`);
    // What the shard spends with nothing to do (cluster cron, the worker's polling), per second.
    const idleStart = await mainThreadCpuS(shard);
    const idleT0 = performance.now();
    await sleep(IDLE_SAMPLE_MS);
    const idlePerMs = ((await mainThreadCpuS(shard)) - idleStart) / (performance.now() - idleT0);
    const cpuBefore = await mainThreadCpuS(shard);
    const result = await host.run(total, { resume: true, timeoutMs: 600_000 });
    const busyCpuS = (await mainThreadCpuS(shard)) - cpuBefore;
    const cpuS = Math.max(0, busyCpuS - idlePerMs * result.elapsedMs);
    if (result.failed > 0)
      throw new Error(`${result.failed} takedowns failed: ${result.firstFailure ?? ''}`);

    const cpuUsPerTakedown = (cpuS * 1e6) / total;
    const shardCapacity = 1e6 / cpuUsPerTakedown;
    const perAppId = AGORA_DELETE_RPS / DELETES_PER_TAKEDOWN;
    const details = {
      takedowns: total,
      appIds: APP_IDS,
      concurrency: DEFAULT_CONCURRENCY,
      shardCpuS: cpuS,
      shardCpuWithIdleS: busyCpuS,
      shard: shard.address,
    };
    return [
      makeRow({
        scenario: SCENARIO,
        figure: `takedowns/s in this run (1 worker at the defaults: concurrency ${DEFAULT_CONCURRENCY}, verify + limiter on)`,
        value: perSecond(total, result.elapsedMs),
        unit: '/s',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'queue shard main-thread CPU per takedown (above idle)',
        value: cpuUsPerTakedown,
        unit: 'µs',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: 'takedowns/s one shard carries (1 core)',
        value: shardCapacity,
        unit: '/s',
        details,
      }),
      makeRow({
        scenario: SCENARIO,
        figure: `App IDs at Agora's full rate (${perAppId} takedowns/s each) per shard`,
        value: shardCapacity / perAppId,
        unit: 'App IDs',
        details,
      }),
    ];
  } finally {
    await host?.close();
    await producer.close();
    await queue.close();
    connection.disconnect();
    await env.close();
    await cluster.close();
  }
}

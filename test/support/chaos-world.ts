import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { DeadLetterEntry } from '../../src/jobs/index.js';
import type { RedisTarget } from '../../src/redis/index.js';
import type { Producer } from '../../src/producer/index.js';
import type { Simulator, SimulatorAdmin, SimulatorOptions } from '../../src/simulator/index.js';
import type { ChaosTarget } from './chaos-invariants.js';
import { createQueueWorld } from './queue-world.js';
import { spawnWorker } from './worker-process.js';
import type { WorkerProcess } from './worker-process.js';

export const CHAOS_CUSTOMER_ID = 'chaos-customer';
export const CHAOS_CUSTOMER_SECRET = 'chaos-secret-0123456789abcdef';
export const CHAOS_APP_ID = 'c0a1b2c3d4e5f60718293a4b5c6d7e8f';

/** Env of every chaos worker process; a scenario overrides what it is about. */
export interface ChaosWorkerEnv {
  [name: string]: string;
}

export interface ChaosWorldOptions {
  redisUrl: string;
  /** A Cluster or Sentinel of the test's own: settings for the test's handles, env for workers. */
  redis?: { settings: RedisTarget; env: Record<string, string>; hashTag?: boolean };
  /** Producer attempts (TAKEDOWN_ATTEMPTS: the producer writes it into each job). */
  attempts: number;
  /** Env for every worker process (merged over the chaos defaults). */
  workerEnv?: ChaosWorkerEnv;
  simulator?: SimulatorOptions;
  /** Producer connect timeout. */
  connectTimeoutMs?: number;
}

export interface ChaosWorld {
  prefix: string;
  redisUrl: string;
  sim: Simulator;
  admin: SimulatorAdmin;
  producer: Producer;
  queue: Queue;
  dlq: Queue<DeadLetterEntry>;
  /** Workers started through this world (live and exited). */
  readonly workers: WorkerProcess[];
  /** Starts `node bin/takedown.js worker` with the world's env plus `env`. */
  spawnWorker(env?: ChaosWorkerEnv): WorkerProcess;
  /**
   * Seeds `count` live streams (reconnecting encoders) and returns takedown requests for them,
   * mixed: key+SID (with channel), SID only, key only — so every resolve path runs.
   */
  seed(count: number): Promise<{ requests: Record<string, string>[]; targets: ChaosTarget[] }>;
  /** Enqueues through the producer; fails on any rejection; fills in the job ids of `targets`. */
  enqueueAll(requests: readonly Record<string, string>[], targets: ChaosTarget[]): Promise<void>;
  /** completed + failed counts of the main queue. */
  finishedCount(): Promise<number>;
  /** Waits until `count` jobs are completed (or failed), with the counts in the timeout error. */
  waitForFinished(count: number, timeoutMs: number): Promise<void>;
  /** SIGKILLs live workers, closes producer, queues, Redis connections, simulator. */
  close(): Promise<void>;
}

/** Defaults for chaos workers: fast retries, short verify, quick stall detection, quiet logs. */
export const CHAOS_WORKER_DEFAULTS: ChaosWorkerEnv = {
  AGORA_APP_ID: CHAOS_APP_ID,
  AGORA_TIMEOUT_MS: '2000',
  AGORA_DELETE_RPS: '2000',
  AGORA_QUERY_RPS: '4000',
  AGORA_CREATE_RPS: '2000',
  WORKER_CONCURRENCY: '20',
  TAKEDOWN_BACKOFF_MS: '50',
  TAKEDOWN_BACKOFF_MAX_MS: '500',
  TAKEDOWN_VERIFY: 'true',
  TAKEDOWN_VERIFY_DELAY_MS: '150',
  WORKER_LOCK_DURATION_MS: '4000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_MAX_STALLED_COUNT: '5',
  WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
  HTTP_PORT: '0',
  // 'info' is what WorkerProcess.ready() waits for; one line per call is cheap enough.
  LOG_LEVEL: 'info',
};

/** One isolated chaos world: own prefix, own simulator, a producer and raw queue handles. */
export async function createChaosWorld(options: ChaosWorldOptions): Promise<ChaosWorld> {
  const world = await createQueueWorld({
    prefixTag: 'chaos',
    customerId: CHAOS_CUSTOMER_ID,
    customerSecret: CHAOS_CUSTOMER_SECRET,
    appId: CHAOS_APP_ID,
    attempts: options.attempts,
    redisUrl: options.redisUrl,
    ...(options.redis === undefined
      ? {}
      : { redis: options.redis.settings, hashTag: options.redis.hashTag === true }),
    quietConnectionErrors: true,
    ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  const { prefix, sim, admin, producer, queue, dlq } = world;
  const workers: WorkerProcess[] = [];
  const baseEnv = { ...CHAOS_WORKER_DEFAULTS, ...options.workerEnv };

  const finishedCount = async (): Promise<number> => {
    const c = await queue.getJobCounts('completed', 'failed');
    return (c['completed'] ?? 0) + (c['failed'] ?? 0);
  };

  return {
    prefix,
    redisUrl: options.redisUrl,
    sim,
    admin,
    producer,
    queue,
    dlq,
    workers,
    spawnWorker(env = {}) {
      const w = spawnWorker({
        redisUrl: options.redisUrl,
        ...(options.redis === undefined ? {} : { redisEnv: options.redis.env }),
        prefix,
        agoraBaseUrl: sim.url,
        customerId: CHAOS_CUSTOMER_ID,
        customerSecret: CHAOS_CUSTOMER_SECRET,
        env: { ...baseEnv, ...env },
      });
      workers.push(w);
      return w;
    },
    async seed(count) {
      const streams = await admin.seed({
        appId: CHAOS_APP_ID,
        region: 'na',
        count,
        reconnect: true,
      });
      const requests: Record<string, string>[] = [];
      const targets: ChaosTarget[] = [];
      streams.forEach((s, i) => {
        const kind = i % 3;
        const request: Record<string, string> = { region: 'na', reason: `chaos ${i}` };
        if (kind === 0)
          Object.assign(request, { sid: s.sid, streamKey: s.streamKey, channel: s.channel });
        else if (kind === 1) request['sid'] = s.sid;
        else request['streamKey'] = s.streamKey;
        requests.push(request);
        targets.push({
          jobId: '',
          appId: CHAOS_APP_ID,
          region: 'na',
          streamKey: s.streamKey,
          channel: s.channel,
          sids: [s.sid],
        });
      });
      return { requests, targets };
    },
    async enqueueAll(requests, targets) {
      const result = await producer.enqueueMany(requests);
      const bad = result.results.filter((r) => r.status !== 'enqueued');
      if (bad.length > 0) {
        throw new Error(
          `enqueueMany did not enqueue everything: ${JSON.stringify(bad.slice(0, 3))}`,
        );
      }
      for (const r of result.results) {
        const target = targets[r.index];
        if (target === undefined || r.status === 'rejected')
          throw new Error(`no job for item ${r.index}`);
        target.jobId = r.jobId;
      }
    },
    finishedCount,
    async waitForFinished(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let done = 0;
        try {
          done = await finishedCount();
        } catch {
          // Redis restarting: ask again.
        }
        if (done >= count) return;
        if (Date.now() > deadline) {
          const counts = await queue.getJobCounts().catch(() => ({}));
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${count} finished takedowns; counts: ${JSON.stringify(counts)}`,
          );
        }
        await sleep(250);
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await world.close();
    },
  };
}

import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createAgoraClient } from '../../../src/agora/index.js';
import type { AgoraClient, LoggerLike, Region } from '../../../src/agora/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/logging/index.js';
import type { Producer } from '../../../src/producer/index.js';
import type { Simulator, SimulatorAdmin, SimulatorOptions } from '../../../src/simulator/index.js';
import { createRateLimiter, createTakedownWorker } from '../../../src/worker/index.js';
import type {
  TakedownSettings,
  TakedownWorker,
  WorkerHooks,
  WorkerSettings,
} from '../../../src/worker/index.js';
import { createQueueWorld } from '../../support/queue-world.js';

export const CUSTOMER_ID = 'test-customer';
export const CUSTOMER_SECRET = 'test-secret-0123456789';
export const APP_ID = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';

/** Short settings for tests: fast backoff, a short verify settle delay. */
export const TEST_WORKER: WorkerSettings = {
  concurrency: 20,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 1,
};
export const TEST_TAKEDOWN: TakedownSettings = {
  backoffMs: 30,
  backoffMaxMs: 200,
  verify: true,
  verifyDelayMs: 300,
  verifyRounds: 3,
  maxRateLimited: 50,
  reconcileIntervalMs: 60_000,
};
export const TEST_ATTEMPTS = 4;

/** A silent logger unless TEST_LOG_LEVEL asks for output (debugging). */
export function testLogger(): LoggerLike {
  return createLogger({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
}

export interface StartWorkerOptions {
  worker?: Partial<WorkerSettings>;
  takedown?: Partial<TakedownSettings>;
  /** Per-App-ID limits of the worker's limiter; 0 = unlimited (default in tests). */
  limits?: { create: number; delete: number; query: number };
  hooks?: WorkerHooks;
  logger?: LoggerLike;
  /** `AGORA_KEY_REGIONS` of the worker. @defaultValue [] */
  keyRegions?: Region[];
}

export interface InProcessWorker extends TakedownWorker {
  agora: AgoraClient;
  /** Closes the worker (with the given deadline), the limiter, its Redis and the client. */
  stop(options?: { deadlineMs?: number }): Promise<void>;
}

export interface Harness {
  prefix: string;
  redisUrl: string;
  sim: Simulator;
  admin: SimulatorAdmin;
  /** Raw access for assertions and poison jobs. */
  queue: Queue<TakedownJobData>;
  dlq: Queue<DeadLetterEntry>;
  producer: Producer;
  startWorker(options?: StartWorkerOptions): Promise<InProcessWorker>;
  /** Closes every worker started here, the producer, queues and the simulator. */
  close(): Promise<void>;
}

/** Random stream keys the simulator does not know (for 404 paths). */
export function randomKey(): string {
  return `k${randomBytes(8).toString('hex')}`;
}

/**
 * One isolated world per test: its own BullMQ prefix, its own simulator on an ephemeral port
 * (rate limits off unless the test sets them), a producer, and in-process workers on demand.
 */
export async function createHarness(
  options: { simulator?: SimulatorOptions; attempts?: number } = {},
): Promise<Harness> {
  const world = await createQueueWorld({
    prefixTag: 'wrk',
    customerId: CUSTOMER_ID,
    customerSecret: CUSTOMER_SECRET,
    appId: APP_ID,
    attempts: options.attempts ?? TEST_ATTEMPTS,
    ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
  });
  const { prefix, redisUrl: url, sim } = world;
  const workers: InProcessWorker[] = [];

  const startWorker = async (o: StartWorkerOptions = {}): Promise<InProcessWorker> => {
    const logger = o.logger ?? testLogger();
    const agora = createAgoraClient({
      baseUrl: sim.url,
      auth: { scheme: 'basic', customerId: CUSTOMER_ID, customerSecret: CUSTOMER_SECRET },
      timeoutMs: 5000,
    });
    const limiterRedis = new Redis(url, { maxRetriesPerRequest: null });
    const limiter = createRateLimiter({
      redis: limiterRedis,
      prefix,
      limits: o.limits ?? { create: 0, delete: 0, query: 0 },
    });
    const tw = await createTakedownWorker({
      redis: url,
      prefix,
      worker: { ...TEST_WORKER, ...o.worker },
      takedown: { ...TEST_TAKEDOWN, ...o.takedown },
      keyRegions: o.keyRegions ?? [],
      agora,
      limiter,
      logger,
      ...(o.hooks === undefined ? {} : { hooks: o.hooks }),
    });
    let stopped: Promise<void> | undefined;
    const w: InProcessWorker = {
      ...tw,
      agora,
      stop: (stopOptions = {}) =>
        (stopped ??= (async () => {
          await tw.close(stopOptions);
          await limiter.close();
          await agora.close();
          await limiterRedis.quit();
        })()),
    };
    workers.push(w);
    return w;
  };

  return {
    prefix,
    redisUrl: url,
    sim,
    admin: world.admin,
    queue: world.queue,
    dlq: world.dlq,
    producer: world.producer,
    startWorker,
    close: async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await world.close();
    },
  };
}

/** Resolves when `count` jobs of the main queue are completed or failed (polling). */
export async function waitForFinished(
  queue: Queue,
  count: number,
  timeoutMs = 30_000,
): Promise<{ completed: number; failed: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    const completed = counts['completed'] ?? 0;
    const failed = counts['failed'] ?? 0;
    if (completed + failed >= count) return { completed, failed };
    if (Date.now() > deadline) {
      const all = await queue.getJobCounts();
      throw new Error(`timed out waiting for ${count} finished jobs: ${JSON.stringify(all)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

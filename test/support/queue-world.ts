import { Queue } from 'bullmq';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../src/jobs/index.js';
import { createProducer } from '../../src/producer/index.js';
import { createRedisConnection } from '../../src/redis/index.js';
import type { RedisTarget } from '../../src/redis/index.js';
import type { Producer } from '../../src/producer/index.js';
import { createSimulator, createSimulatorAdmin } from '../../src/simulator/index.js';
import type { Simulator, SimulatorAdmin, SimulatorOptions } from '../../src/simulator/index.js';
import { redisUrl, uniquePrefix } from './isolation.js';

export interface QueueWorldOptions {
  /** Tag of the unique BullMQ prefix (see uniquePrefix). */
  prefixTag: string;
  customerId: string;
  customerSecret: string;
  /** The producer's default App ID. */
  appId: string;
  /** Producer attempts. */
  attempts: number;
  /** Overrides of the simulator defaults (ephemeral port, rate limits off). */
  simulator?: SimulatorOptions;
  /** A Redis of the test's own (e.g. one it restarts); default: the shared test Redis. */
  redisUrl?: string;
  /** A Cluster or Sentinel of the test's own (wins over redisUrl). */
  redis?: RedisTarget;
  /** Wrap the prefix in braces, a Redis Cluster hash tag. */
  hashTag?: boolean;
  /** Producer connect timeout. */
  connectTimeoutMs?: number;
  /** Swallow connection errors of the assertion handles (a test that stops Redis on purpose). */
  quietConnectionErrors?: boolean;
}

/** The parts shared by the in-process worker harnesses; workers are the caller's. */
export interface QueueWorld {
  prefix: string;
  redisUrl: string;
  sim: Simulator;
  admin: SimulatorAdmin;
  producer: Producer;
  /** Raw access for assertions and poison jobs. */
  queue: Queue<TakedownJobData>;
  dlq: Queue<DeadLetterEntry>;
  /** Closes the producer, empties and closes both queues, then the simulator. Stop workers first. */
  close(): Promise<void>;
}

/** An isolated prefix, a simulator on an ephemeral port, a producer and raw queue handles. */
export async function createQueueWorld(options: QueueWorldOptions): Promise<QueueWorld> {
  const unique = uniquePrefix(options.prefixTag);
  const prefix = options.hashTag === true ? `{${unique}}` : unique;
  const url = options.redisUrl ?? redisUrl();
  const target = options.redis ?? url;
  const sim = await createSimulator({
    port: 0,
    customerId: options.customerId,
    customerSecret: options.customerSecret,
    createRps: 0,
    deleteRps: 0,
    queryRps: 0,
    reconnectDelayMs: 100,
    ...options.simulator,
  });
  const admin = createSimulatorAdmin(sim.url);
  const producer = await createProducer({
    redis: target,
    prefix,
    attempts: options.attempts,
    idempotencyWindowS: 3600,
    defaultAppId: options.appId,
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  // `maxRetriesPerRequest: null`: a Redis restart must not fail an assertion's poll.
  const connection = createRedisConnection(target, { role: 'worker' });
  const queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, { connection, prefix });
  const dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, { connection, prefix });
  if (options.quietConnectionErrors === true) {
    connection.on('error', () => undefined);
    queue.on('error', () => undefined);
    dlq.on('error', () => undefined);
  }

  return {
    prefix,
    redisUrl: url,
    sim,
    admin,
    producer,
    queue,
    dlq,
    close: async () => {
      await producer.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await dlq.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await dlq.close();
      await connection.quit().catch(() => connection.disconnect());
      await sim.close();
    },
  };
}

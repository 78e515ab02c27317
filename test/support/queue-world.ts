import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../src/jobs/index.js';
import { createProducer } from '../../src/producer/index.js';
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
  const prefix = uniquePrefix(options.prefixTag);
  const url = redisUrl();
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
    redisUrl: url,
    prefix,
    attempts: options.attempts,
    idempotencyWindowS: 3600,
    defaultAppId: options.appId,
  });
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, { connection, prefix });
  const dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, { connection, prefix });

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
      await connection.quit();
      await sim.close();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEAD_LETTER_JOB_NAME,
  DEAD_LETTER_QUEUE,
  TAKEDOWN_QUEUE,
  deadLetterJobId,
} from '../../../src/jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../../src/jobs/index.js';
import { createProducer } from '../../../src/producer/index.js';
import type { Producer, ProducerOptions } from '../../../src/producer/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

export const APP_ID = '0123456789abcdef0123456789abcdef';

/**
 * One test's world: a unique prefix, producers, raw BullMQ queues for seeding and inspection, and
 * a worker without a processor that moves jobs by hand (the real worker is not needed here).
 * `close()` closes all of it and deletes the prefix's keys.
 */
export interface ProducerHarness {
  prefix: string;
  url: string;
  producer(overrides?: Partial<ProducerOptions>): Promise<Producer>;
  /** A direct Redis client (closed by close()). */
  redis: Redis;
  queue: Queue<TakedownJobData>;
  dlq: Queue<DeadLetterEntry>;
  /** Takes the next waiting job as a worker would (it becomes active, locked by `token`). */
  take(): Promise<{ job: Job<TakedownJobData>; token: string }>;
  /** Takes the next job and completes it with `result`. */
  complete(result?: unknown): Promise<string>;
  /** Takes the next job and fails it for good. */
  fail(message?: string): Promise<string>;
  /** Writes a DLQ entry as the worker would (under the job's DLQ id). */
  addDeadLetter(entry: DeadLetterEntry): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(label: string): Promise<ProducerHarness> {
  const prefix = uniquePrefix(label);
  const url = redisUrl();
  const producers: Producer[] = [];
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  // Workers need a connection that never gives up on a request.
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, { connection: redis, prefix });
  const dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, { connection: redis, prefix });
  const worker = new Worker<TakedownJobData>(TAKEDOWN_QUEUE, null, {
    connection: workerConnection,
    prefix,
    autorun: false,
  });
  await Promise.all([queue.waitUntilReady(), dlq.waitUntilReady()]);

  const take = async (): Promise<{ job: Job<TakedownJobData>; token: string }> => {
    const token = randomUUID();
    const job = (await worker.getNextJob(token, { block: false })) as
      Job<TakedownJobData> | undefined;
    if (job === undefined) throw new Error('no job to take');
    return { job, token };
  };

  return {
    prefix,
    url,
    redis,
    queue,
    dlq,
    producer: async (overrides = {}) => {
      const producer = await createProducer({
        redis: url,
        prefix,
        defaultAppId: APP_ID,
        attempts: 3,
        idempotencyWindowS: 3600,
        ...overrides,
      });
      producers.push(producer);
      return producer;
    },
    take,
    complete: async (result: unknown = { outcome: 'taken-down' }) => {
      const { job, token } = await take();
      await job.moveToCompleted(result, token, false);
      return job.id as string;
    },
    fail: async (message = 'boom') => {
      const { job, token } = await take();
      await job.moveToFailed(new UnrecoverableError(message), token, false);
      return job.id as string;
    },
    addDeadLetter: async (entry) => {
      await dlq.add(DEAD_LETTER_JOB_NAME, entry, { jobId: deadLetterJobId(entry.jobId) });
    },
    close: async () => {
      await Promise.all(producers.map((p) => p.close()));
      await worker.close();
      await Promise.all([queue.close(), dlq.close()]);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      await Promise.all([redis.quit(), workerConnection.quit()]);
    },
  };
}

/** A DLQ entry like the worker writes for a failed takedown of `sid`. */
export function deadLetterFor(
  jobId: string,
  payload: unknown,
  overrides: Partial<DeadLetterEntry> = {},
): DeadLetterEntry {
  return {
    v: 1,
    jobId,
    payload,
    failedStep: 'disconnect',
    attempts: 3,
    reason: 'attempts-exhausted',
    error: {
      name: 'AgoraHttpError',
      status: 503,
      message: 'Service Unavailable',
      requestId: 'req-1',
    },
    failedAt: new Date().toISOString(),
    ...overrides,
  };
}

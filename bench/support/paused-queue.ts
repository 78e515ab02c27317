import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';

/** A handle on queue `takedown` under `prefix`, paused, so jobs can pile up before a timed run. */
export async function pausedQueue(connection: Redis, prefix: string): Promise<Queue> {
  const queue = new Queue(TAKEDOWN_QUEUE, { connection, prefix });
  await queue.pause();
  return queue;
}

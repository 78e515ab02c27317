import { QUEUE_STATES } from './create-metrics.js';
import type { QueueCounts, QueueCountsReader } from './create-metrics.js';

/** What the reader needs of a queue; a BullMQ `Queue` satisfies it. */
export interface JobCountsSource {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/**
 * The usual reader for `metrics.collectQueueCounts`: one `getJobCounts` per queue (a single
 * Redis round trip each) for the states `takedown_queue_jobs` exports.
 */
export function createQueueCountsReader(queues: {
  queue: JobCountsSource;
  dlq: JobCountsSource;
}): QueueCountsReader {
  return async (): Promise<QueueCounts> => {
    const [takedown, dlq] = await Promise.all([
      queues.queue.getJobCounts(...QUEUE_STATES),
      queues.dlq.getJobCounts(...QUEUE_STATES),
    ]);
    return { takedown, dlq };
  };
}

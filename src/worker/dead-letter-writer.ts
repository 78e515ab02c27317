import type { Queue } from 'bullmq';
import { DEAD_LETTER_JOB_NAME, deadLetterJobId } from '../jobs/index.js';
import type { DeadLetterEntry } from '../jobs/index.js';

export interface DeadLetterWriter {
  /** Adds the entry unless one for the same job is there already; says which happened. */
  write(entry: DeadLetterEntry): Promise<'written' | 'exists'>;
  has(sourceJobId: string): Promise<boolean>;
  /** Removes the entry of a source job; false when there was none. */
  remove(sourceJobId: string): Promise<boolean>;
}

/**
 * Writes DLQ entries into queue `takedown-dlq` (the Queue is owned by the caller), each under its
 * source job's DLQ id (deadLetterJobId: the same id, or `n-…` for one BullMQ refuses).
 */
export function createDeadLetterWriter(options: { queue: Queue }): DeadLetterWriter {
  const { queue } = options;
  const has = async (sourceJobId: string): Promise<boolean> =>
    (await queue.getJob(deadLetterJobId(sourceJobId))) !== undefined;
  return {
    has,
    remove: async (sourceJobId) => (await queue.remove(deadLetterJobId(sourceJobId))) === 1,
    write: async (entry) => {
      // The check spares the events stream a `duplicated` event per reconciler pass; the add
      // itself is idempotent, so a race between two writers still leaves one entry.
      if (await has(entry.jobId)) return 'exists';
      await queue.add(DEAD_LETTER_JOB_NAME, entry, {
        jobId: deadLetterJobId(entry.jobId),
        // Nothing processes the DLQ; entries stay until redriven or purged.
        removeOnComplete: false,
        removeOnFail: false,
      });
      return 'written';
    },
  };
}

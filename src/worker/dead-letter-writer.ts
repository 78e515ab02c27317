import type { Queue } from 'bullmq';
import { DEAD_LETTER_JOB_NAME } from '../jobs/index.js';
import type { DeadLetterEntry } from '../jobs/index.js';

/**
 * The DLQ job id of a source job: the same id, so a second write for the same failure is a no-op
 * (BullMQ ignores an add whose id exists). BullMQ refuses all-digit custom ids, which only a job
 * added without our deterministic id can have (a poison job): those get an `n-` prefix. The
 * entry's `jobId` field always holds the original id.
 */
export function deadLetterJobId(sourceJobId: string): string {
  return /^\d+$/.test(sourceJobId) ? `n-${sourceJobId}` : sourceJobId;
}

export interface DeadLetterWriter {
  /** Adds the entry unless one for the same job is there already; says which happened. */
  write(entry: DeadLetterEntry): Promise<'written' | 'exists'>;
  has(sourceJobId: string): Promise<boolean>;
  /** Source job ids of the entries in [start, end] (oldest first). */
  sourceIds(start: number, end: number): Promise<string[]>;
  /** Removes the entry of a source job; false when there was none. */
  remove(sourceJobId: string): Promise<boolean>;
}

/** Writes DLQ entries into queue `takedown-dlq` (the Queue is owned by the caller). */
export function createDeadLetterWriter(options: { queue: Queue }): DeadLetterWriter {
  const { queue } = options;
  const has = async (sourceJobId: string): Promise<boolean> =>
    (await queue.getJob(deadLetterJobId(sourceJobId))) !== undefined;
  return {
    has,
    sourceIds: async (start, end) => {
      const jobs = await queue.getWaiting(start, end);
      return jobs.flatMap((job) => {
        const id = (job?.data as Partial<DeadLetterEntry> | undefined)?.jobId;
        return typeof id === 'string' ? [id] : [];
      });
    },
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

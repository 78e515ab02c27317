import type { TakedownPayload } from './takedown-request.js';
import type { TakedownProgress } from './takedown-progress.js';

/**
 * What a takedown job stores in BullMQ's `job.data`. The payload is never replaced; the worker
 * merges `progress` (and `rateLimited`) in with `updateData({ ...job.data, ... })`, because
 * BullMQ's updateData replaces the whole object.
 */
export interface TakedownJobData {
  payload: TakedownPayload;
  /** Random per enqueue call: tells the producer whether its add won or hit an existing job. */
  enqueueToken?: string;
  progress?: TakedownProgress;
  /** How many times a 429 delayed this job without consuming an attempt (bounded). */
  rateLimited?: number;
}

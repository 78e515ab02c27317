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
  /** When Agora reported the end of a push this takedown cut (ISO 8601; see TakedownConfirmation). */
  confirmedAt?: string;
  confirmation?: TakedownConfirmation;
}

/**
 * The Agora event that confirmed a takedown: `live_stream_disconnected` for a session it cut,
 * or `live_stream_aborted` with errorCode 2 for a reconnect refused on the key it revoked.
 */
export interface TakedownConfirmation {
  event: 'live_stream_disconnected' | 'live_stream_aborted';
  noticeId: string;
  sid: string;
  /** Agora's send time of the notice (Unix ms). */
  notifyMs: number;
  errorCode?: number;
  endAt?: string;
}

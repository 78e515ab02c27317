import type { Queue } from 'bullmq';
import type { TakedownConfirmation, TakedownJobData } from '../jobs/index.js';
import type { StreamEvent } from './agora-notification.js';

export type RecordConfirmationResult = 'recorded' | 'already-confirmed' | 'missing';

/**
 * Told once per takedown when its confirmation is recorded (the worker passes the audit trail and
 * the `takedown.confirmed` callback here). A failure is the caller's to log; the record stays.
 */
export type ConfirmationListener = (confirmation: {
  jobId: string;
  payload: unknown;
  source: 'ncs';
  what: string;
  id: string;
  at: Date;
}) => Promise<void>;

/** The confirmation as stored on the takedown: what Agora said, never the (masked) key. */
export function toConfirmation(event: StreamEvent): TakedownConfirmation {
  const confirmation: TakedownConfirmation = {
    event:
      event.event === 'live_stream_aborted' ? 'live_stream_aborted' : 'live_stream_disconnected',
    noticeId: event.noticeId,
    sid: event.sid,
    notifyMs: event.notifyMs,
  };
  if (event.errorCode !== undefined) confirmation.errorCode = event.errorCode;
  if (event.endAt !== undefined) confirmation.endAt = event.endAt;
  return confirmation;
}

/**
 * THE place where an Agora confirmation is recorded on a takedown: `job.data.confirmedAt` (when
 * the event arrived) and `job.data.confirmation` (the event), merged into the job's data. Only
 * called for completed takedowns, which nothing else writes any more. The first confirmation
 * wins; later ones (a reconnect refused after the disconnect) leave it as it is.
 * Hook point for anything that must happen once a takedown is confirmed (e.g. a callback).
 */
export async function recordConfirmation(
  takedowns: Queue<TakedownJobData>,
  jobId: string,
  event: StreamEvent,
  onRecorded?: ConfirmationListener,
): Promise<RecordConfirmationResult> {
  const job = await takedowns.getJob(jobId);
  if (job === undefined) return 'missing';
  if (job.data.confirmedAt !== undefined) return 'already-confirmed';
  const at = new Date(event.receivedAt);
  await job.updateData({
    ...job.data,
    confirmedAt: at.toISOString(),
    confirmation: toConfirmation(event),
  });
  await onRecorded?.({
    jobId,
    payload: job.data.payload,
    source: 'ncs',
    what:
      event.errorCode === undefined ? event.event : `${event.event} errorCode ${event.errorCode}`,
    id: event.noticeId,
    at,
  });
  return 'recorded';
}

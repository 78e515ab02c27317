import type { Queue } from 'bullmq';
import type { TakedownConfirmation, TakedownJobData } from '../jobs/index.js';
import type { StreamEvent } from './agora-notification.js';

export type RecordConfirmationResult = 'recorded' | 'already-confirmed' | 'missing';

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
): Promise<RecordConfirmationResult> {
  const job = await takedowns.getJob(jobId);
  if (job === undefined) return 'missing';
  if (job.data.confirmedAt !== undefined) return 'already-confirmed';
  await job.updateData({
    ...job.data,
    confirmedAt: new Date(event.receivedAt).toISOString(),
    confirmation: toConfirmation(event),
  });
  return 'recorded';
}

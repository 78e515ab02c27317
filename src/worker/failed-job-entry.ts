import type { Job } from 'bullmq';
import { toDeadLetterEntry } from '../jobs/index.js';
import type { DeadLetterEntry, DeadLetterReason } from '../jobs/index.js';

/** BullMQ's failedReason for a job that stalled more than `maxStalledCount` times. */
export const STALLED_REASON = 'job stalled more than allowable limit';
/** BullMQ's failedReason when `maxStartedAttempts` ran out. */
const STARTED_LIMIT_REASON = 'job started more than allowable limit';

/** The step a failed job was at, read from its persisted progress. */
export function failedStepOf(data: unknown): string {
  const progress =
    typeof data === 'object' && data !== null
      ? (data as { progress?: unknown }).progress
      : undefined;
  const step =
    typeof progress === 'object' && progress !== null
      ? (progress as { step?: unknown }).step
      : undefined;
  return typeof step === 'string' ? step : 'resolve';
}

/** Why a job sits in the failed set, from what BullMQ stored about it. */
export function failedJobReason(
  job: Pick<Job, 'failedReason' | 'attemptsMade' | 'opts'>,
): DeadLetterReason {
  const reason = job.failedReason ?? '';
  if (reason === STALLED_REASON) return 'stalled';
  if (reason.startsWith('invalid takedown payload')) return 'invalid-payload';
  if (reason === STARTED_LIMIT_REASON) return 'attempts-exhausted';
  return job.attemptsMade >= (job.opts.attempts ?? 1) ? 'attempts-exhausted' : 'permanent';
}

/**
 * The error as far as the failed set remembers it: only the message survives in Redis, so the
 * HTTP status and X-Request-ID are read back out of the Agora error message
 * ("Agora disconnect failed: HTTP 503 "…" (requestId …)").
 */
export function errorFromFailedReason(failedReason: string): Error {
  const err = new Error(failedReason) as Error & { status?: number; requestId?: string };
  const status = /\bHTTP (\d{3})\b/.exec(failedReason)?.[1];
  const requestId = /\(requestId ([^)\s]+)\)/.exec(failedReason)?.[1];
  err.name = status === undefined ? 'Error' : 'AgoraHttpError';
  if (status !== undefined) err.status = Number(status);
  if (requestId !== undefined) err.requestId = requestId;
  return err;
}

/**
 * The DLQ entry for a job found in the failed set (reconciler) or seen failing for good by the
 * worker's `failed` event. The processor's own entry, written before it gave up, is richer; this
 * one only fills gaps (a crash between the two, stall failures the processor never sees).
 */
export function deadLetterFromFailedJob(
  job: Job,
  options: { now: Date; err?: Error },
): DeadLetterEntry {
  if (job.id === undefined)
    throw new TypeError('a failed job without an id cannot be dead-lettered');
  const failedReason = job.failedReason ?? options.err?.message ?? 'unknown failure';
  const reason = failedJobReason({ ...job, failedReason });
  return toDeadLetterEntry({
    jobId: job.id,
    data: job.data,
    err: errorFromFailedReason(failedReason),
    failedStep: failedStepOf(job.data),
    // A stalled job never finished an attempt; how often it was started is what counts there.
    attempts: Math.max(reason === 'stalled' ? job.attemptsStarted : job.attemptsMade, 1),
    reason,
    now: options.now,
    enqueuedAt: job.timestamp,
  });
}

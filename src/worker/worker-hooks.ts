import type { Job } from 'bullmq';
import type { CallClass } from '../agora/index.js';
import type { DeadLetterEntry, TakedownResult, TakedownStep } from '../jobs/index.js';

/**
 * How one processing run of a job ended:
 * - `completed`: the takedown finished.
 * - `retry`: a retryable error; BullMQ tries again after the backoff.
 * - `rate-limited`: parked by a 429 / busy limiter without using an attempt.
 * - `requeued`: cancelled by a shutdown; back in the queue without using an attempt.
 * - `waiting`: parked until its verify settle is over (no slot held, no attempt used).
 * - `dead-lettered`: a terminal failure, written to the DLQ.
 */
export type JobRunOutcome =
  'completed' | 'retry' | 'rate-limited' | 'requeued' | 'waiting' | 'dead-lettered';

/** When a takedown was due and when it reached its end (epoch ms), for the job-duration histogram. */
export interface JobTiming {
  jobId: string;
  /** Enqueue time plus the job's initial delay (a scheduled expiry is due later than it was added). */
  dueAt: number;
  finishedAt: number;
}

/** The timing of `job`, finished at `finishedAt` (defaults to now). */
export function jobTiming(
  job: Pick<Job, 'id' | 'timestamp' | 'opts'>,
  finishedAt: number = Date.now(),
): JobTiming {
  return {
    jobId: job.id ?? 'unknown',
    dueAt: job.timestamp + (job.opts.delay ?? 0),
    finishedAt,
  };
}

/** Optional callbacks for metrics. Must not throw (a throw is caught and ignored). */
export interface WorkerHooks {
  onStep?(step: TakedownStep, durationMs: number): void;
  onJobRun?(outcome: JobRunOutcome, durationMs: number): void;
  /** A call waited this long (often 0) for its rate-limiter slot. */
  onRateLimitWait?(appId: string, cls: CallClass, waitedMs: number): void;
  /** A takedown finished (its job is in `completed`): once per job, after BullMQ recorded it. */
  onCompleted?(result: TakedownResult, timing: JobTiming): void;
  /**
   * A DLQ entry was written — by the processor before it gave up, by the `failed` listener, or by
   * the reconciler. Once per entry: writers that find the entry already there do not call it.
   */
  onDeadLetter?(entry: DeadLetterEntry, timing: JobTiming): void;
}

/** Runs a hook so that a throwing metrics callback never changes what happens to a job. */
export function safeHook(run: () => void): void {
  try {
    run();
  } catch {
    // Metrics are best effort; the job's outcome must not depend on them.
  }
}

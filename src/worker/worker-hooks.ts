import type { Job } from 'bullmq';
import type { CallClass, CallInfo } from '../agora/index.js';
import type {
  DeadLetterEntry,
  TakedownPayload,
  TakedownResult,
  TakedownStep,
} from '../jobs/index.js';

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

/** What one processing run of a takedown job did: the audit trail's raw material. */
export interface JobRun {
  jobId: string;
  /** `job.data.payload` as stored: possibly invalid (a poison job). */
  payload: unknown;
  /** When the job was added (epoch ms). */
  enqueuedAt: number;
  /** 1-based. */
  attempt: number;
  steps: { step: TakedownStep; at: number; durationMs: number }[];
  calls: (CallInfo & { at: number })[];
  /** Agora's `beginAt` of the stream, each time a call showed it live. */
  streamSeen: string[];
  end: JobRunOutcome;
  /** When `end` is `completed`. */
  result?: TakedownResult;
  finishedAt: number;
}

/** Optional callbacks for metrics. Must not throw (a throw is caught and ignored). */
/** Which takedown a step belonged to (for metrics that depend on why it was asked for). */
export interface StepContext {
  payload: TakedownPayload;
  /** Epoch ms the job was added. */
  enqueuedAt: number;
}

export interface WorkerHooks {
  onStep?(step: TakedownStep, durationMs: number, context?: StepContext): void;
  onJobRun?(outcome: JobRunOutcome, durationMs: number): void;
  /** A call waited this long (often 0) for its rate-limiter slot. */
  onRateLimitWait?(appId: string, cls: CallClass, waitedMs: number): void;
  /** A takedown finished (its job is in `completed`): once per job, after BullMQ recorded it. */
  onCompleted?(result: TakedownResult, timing: JobTiming): void;
  /** The same moment, with the job's id and stored data (payload), for the enforcement index. */
  onTakedownCompleted?(jobId: string, data: unknown, result: TakedownResult): void;
  /**
   * A DLQ entry was written — by the processor before it gave up, by the `failed` listener, or by
   * the reconciler. Once per entry: writers that find the entry already there do not call it.
   */
  onDeadLetter?(entry: DeadLetterEntry, timing: JobTiming): void;
  /**
   * A processing run ended (completed, retry, parked, requeued or dead-lettered). Awaited by the
   * processor before the job moves on, so a completed takedown's record and callback are queued
   * before BullMQ marks it completed; a rejection is logged and never changes the job's fate.
   */
  onRunFinished?(run: JobRun): Promise<void>;
}

/** One set of hooks that calls each given set in order (metrics, audit, callbacks…). */
export function combineHooks(...all: readonly WorkerHooks[]): WorkerHooks {
  const each = <K extends keyof WorkerHooks>(name: K): NonNullable<WorkerHooks[K]>[] =>
    all.map((h) => h[name]).filter((f): f is NonNullable<WorkerHooks[K]> => f !== undefined);
  const combined: WorkerHooks = {};
  const steps = each('onStep');
  if (steps.length > 0) combined.onStep = (...a) => steps.forEach((f) => safeHook(() => f(...a)));
  const runs = each('onJobRun');
  if (runs.length > 0) combined.onJobRun = (...a) => runs.forEach((f) => safeHook(() => f(...a)));
  const waits = each('onRateLimitWait');
  if (waits.length > 0)
    combined.onRateLimitWait = (...a) => waits.forEach((f) => safeHook(() => f(...a)));
  const completed = each('onCompleted');
  if (completed.length > 0)
    combined.onCompleted = (...a) => completed.forEach((f) => safeHook(() => f(...a)));
  const indexed = each('onTakedownCompleted');
  if (indexed.length > 0)
    combined.onTakedownCompleted = (...a) => indexed.forEach((f) => safeHook(() => f(...a)));
  const dead = each('onDeadLetter');
  if (dead.length > 0)
    combined.onDeadLetter = (...a) => dead.forEach((f) => safeHook(() => f(...a)));
  const finished = each('onRunFinished');
  if (finished.length > 0) {
    combined.onRunFinished = async (run) => {
      const results = await Promise.allSettled(finished.map((f) => f(run)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    };
  }
  return combined;
}

/** Runs a hook so that a throwing metrics callback never changes what happens to a job. */
export function safeHook(run: () => void): void {
  try {
    run();
  } catch {
    // Metrics are best effort; the job's outcome must not depend on them.
  }
}

import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { AgoraApi, LoggerLike, Region } from '../agora/index.js';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE, maskJobId } from '../jobs/index.js';
import { createRedisConnection } from '../redis/index.js';
import type { RedisTarget } from '../redis/index.js';
import type { DeadLetterEntry, TakedownResult } from '../jobs/index.js';
import { createBackoffStrategy } from './backoff.js';
import { checkRedis } from './check-redis.js';
import { createDeadLetterWriter } from './dead-letter-writer.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import { deadLetterFromFailedJob } from './failed-job-entry.js';
import { createProcessor } from './processor.js';
import { promoteIfRaised } from './promote-if-raised.js';
import type { CallClass } from '../agora/index.js';
import { withRateLimit } from './rate-limited-api.js';
import type { RateLimiter } from './rate-limiter.js';
import { createReconciler } from './reconciler.js';
import { dropRedis, quitRedis } from '../redis/index.js';
import { settleWithin } from '../redis/index.js';
import type { Reconciler } from './reconciler.js';
import { jobTiming, safeHook } from './worker-hooks.js';
import type { WorkerHooks } from './worker-hooks.js';
import type { Telemetry } from '../telemetry/index.js';

/**
 * Waits inside a job up to this long are slept; longer ones (the verify settle) park the job, so
 * it holds no worker slot meanwhile. Parking costs a few Redis commands, a slot is worth more.
 */
export const DEFER_WAITS_OVER_MS = 50;

/** The subset of ResolvedConfig the worker uses (same shapes, so `config.worker` fits). */
export interface WorkerSettings {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export interface TakedownSettings {
  backoffMs: number;
  backoffMaxMs: number;
  verify: boolean;
  verifyDelayMs: number;
  verifyRounds: number;
  maxRateLimited: number;
  reconcileIntervalMs: number;
}

export interface TakedownWorkerOptions {
  /** A URL, or the settings of any mode (single server, Cluster, Sentinel). */
  redis: RedisTarget;
  prefix: string;
  worker: WorkerSettings;
  takedown: TakedownSettings;
  /** Extra regions to revoke keys in (`AGORA_KEY_REGIONS`). */
  keyRegions: readonly Region[];
  /** The plain Agora client; the worker puts the shared limiter in front of it. */
  agora: AgoraApi;
  /** Shared limiter (owned by the caller, like its Redis connection). */
  limiter: RateLimiter;
  logger: LoggerLike;
  hooks?: WorkerHooks;
  /** Tracing (src/telemetry): BullMQ's spans and context propagation, a span per step. */
  telemetry?: Telemetry;
  /** Start-up check of Redis (reachable, noeviction). @defaultValue true */
  checkRedis?: boolean;
  /** Cap on a server's Retry-After (`AGORA_RETRY_AFTER_MAX_MS`). @defaultValue 10000 */
  retryAfterMaxMs?: number;
}

/** Default of `AGORA_RETRY_AFTER_MAX_MS`. */
export const DEFAULT_RETRY_AFTER_MAX_MS = 10_000;

export interface CloseOptions {
  /** Wait this long for active jobs; then cancel them (they requeue without using an attempt). */
  deadlineMs?: number;
  /** After cancelling, how long to wait for the processors to hand their jobs back. @defaultValue 2000 */
  cancelGraceMs?: number;
}

export interface CloseResult {
  /** The deadline passed with jobs still active; they were cancelled. */
  timedOut: boolean;
  /** Some jobs did not return even after cancelling: left active for the stall check. */
  abandoned: boolean;
}

export interface TakedownWorker {
  readonly worker: Worker<unknown, TakedownResult>;
  readonly reconciler: Reconciler;
  readonly deadLetters: DeadLetterWriter;
  /** Stops taking jobs, lets active ones finish (up to the deadline), closes every connection it made. */
  close(options?: CloseOptions): Promise<CloseResult>;
}

/** Longest wait for one handle to close at shutdown (they hang while Redis is unreachable). */
const RELEASE_TIMEOUT_MS = 2000;

/**
 * The BullMQ Worker on queue `takedown` with everything around it: the processor, the custom
 * backoff, DLQ writer, reconciler, a `failed` listener as an immediate DLQ backup, and the Redis
 * connections (worker connections retry forever: `maxRetriesPerRequest: null`).
 * Throws RedisUnavailableError when Redis cannot be reached at start.
 */
export async function createTakedownWorker(
  options: TakedownWorkerOptions,
): Promise<TakedownWorker> {
  const { logger, hooks } = options;
  if (options.checkRedis !== false) await checkRedis({ redis: options.redis, logger });

  const connection = createRedisConnection(options.redis, { role: 'worker' });
  // BullMQ forwards connection errors to worker/queue 'error' listeners (logged below); this one
  // only keeps ioredis from printing "Unhandled error event" before BullMQ has attached.
  connection.on('error', () => undefined);
  const telemetry = options.telemetry === undefined ? {} : { telemetry: options.telemetry.bullmq };
  const queue = new Queue(TAKEDOWN_QUEUE, { connection, prefix: options.prefix, ...telemetry });
  const dlq = new Queue(DEAD_LETTER_QUEUE, { connection, prefix: options.prefix, ...telemetry });
  const onQueueError = (err: Error): void =>
    logger.warn({ err: err.message }, 'queue connection error');
  queue.on('error', onQueueError);
  dlq.on('error', onQueueError);

  const deadLetters = createDeadLetterWriter({ queue: dlq });
  const limitOptions =
    hooks?.onRateLimitWait === undefined
      ? {}
      : {
          onWait: (appId: string, cls: CallClass, waitedMs: number) =>
            safeHook(() => hooks.onRateLimitWait?.(appId, cls, waitedMs)),
        };
  const retryAfterMaxMs = options.retryAfterMaxMs ?? DEFAULT_RETRY_AFTER_MAX_MS;
  const api = withRateLimit(options.agora, options.limiter, { ...limitOptions, retryAfterMaxMs });
  // Urgent takedowns' calls take the limiter's urgent lane: the App ID's next slot, ahead of the
  // bulk line, never parked (a parked job would rejoin the back of the line).
  const urgentApi = withRateLimit(options.agora, options.limiter, {
    ...limitOptions,
    retryAfterMaxMs,
    urgent: true,
  });
  const readPriority = async (jobId: string): Promise<number | undefined> => {
    const raw = await connection.hget(queue.toKey(jobId), 'priority');
    return raw === null ? undefined : Number(raw);
  };
  const processor = createProcessor({
    api,
    urgentApi,
    readPriority,
    deferWaitsOverMs: DEFER_WAITS_OVER_MS,
    deadLetters,
    logger,
    keyRegions: options.keyRegions,
    verify: {
      enabled: options.takedown.verify,
      delayMs: options.takedown.verifyDelayMs,
      maxRounds: options.takedown.verifyRounds,
    },
    maxRateLimited: options.takedown.maxRateLimited,
    rateLimitBackoff: {
      baseMs: options.takedown.backoffMs,
      maxMs: options.takedown.backoffMaxMs,
      retryAfterMaxMs,
    },
    ...(hooks === undefined ? {} : { hooks }),
    ...(options.telemetry === undefined ? {} : { traceStep: options.telemetry.traceStep }),
  });

  const worker = new Worker<unknown, TakedownResult>(TAKEDOWN_QUEUE, processor, {
    connection,
    prefix: options.prefix,
    ...telemetry,
    autorun: false,
    concurrency: options.worker.concurrency,
    lockDuration: options.worker.lockDurationMs,
    stalledInterval: options.worker.stalledIntervalMs,
    maxStalledCount: options.worker.maxStalledCount,
    settings: {
      backoffStrategy: createBackoffStrategy({
        baseMs: options.takedown.backoffMs,
        maxMs: options.takedown.backoffMaxMs,
        retryAfterMaxMs,
      }),
    },
  });
  worker.on('error', (err) => logger.error({ err: err.message }, 'worker error'));
  worker.on('stalled', (jobId) =>
    logger.warn(
      { jobId: maskJobId(jobId) },
      'job stalled: its worker lost the lock; it runs again',
    ),
  );
  // Immediate DLQ backup: `finishedOn` is set only when the job failed for good (no retry left,
  // UnrecoverableError, or the stall limit, which the processor never sees).
  worker.on('failed', (job: Job | undefined, err: Error) => {
    // A retry waits out its backoff, unless an urgent duplicate raised it while it ran.
    if (job !== undefined && job.finishedOn === undefined) {
      void promoteIfRaised(job, readPriority);
      return;
    }
    if (job?.finishedOn === undefined || job.id === undefined) return;
    const id = job.id;
    deadLetters
      .has(id)
      .then(async (present) => {
        if (present) return;
        const entry = deadLetterFromFailedJob(job, { now: new Date(), err });
        if ((await deadLetters.write(entry)) === 'written') {
          logger.error(
            { jobId: maskJobId(id), reason: entry.reason, error: entry.error },
            'failed job dead-lettered',
          );
          safeHook(() =>
            hooks?.onDeadLetter?.(entry, jobTiming(job, job.finishedOn ?? Date.now())),
          );
        }
      })
      .catch((writeErr: unknown) =>
        logger.error(
          { jobId: maskJobId(id), err: (writeErr as Error).message },
          'DLQ backup write failed; the reconciler retries',
        ),
      );
  });

  // After BullMQ stored the result, so a run whose completion did not stick is not counted.
  worker.on('completed', (job: Job, result: TakedownResult) => {
    safeHook(() => hooks?.onCompleted?.(result, jobTiming(job, job.finishedOn ?? Date.now())));
    if (job.id !== undefined) {
      const id = job.id;
      safeHook(() => hooks?.onTakedownCompleted?.(id, job.data, result));
    }
  });

  const reconciler = createReconciler({
    queue,
    dlq,
    redis: connection,
    deadLetters,
    logger,
    intervalMs: options.takedown.reconcileIntervalMs,
    ...(hooks?.onDeadLetter === undefined
      ? {}
      : {
          onWritten: (entry: DeadLetterEntry, job: Job) =>
            safeHook(() =>
              hooks.onDeadLetter?.(entry, jobTiming(job, job.finishedOn ?? Date.now())),
            ),
        }),
  });

  const running = worker.run().catch((err: unknown) => {
    logger.error({ err: (err as Error).message }, 'worker stopped with an error');
  });
  try {
    await worker.waitUntilReady();
  } catch (err) {
    await worker.close(true).catch(() => undefined);
    await Promise.allSettled([queue.close(), dlq.close()]);
    dropRedis(connection);
    throw err;
  }
  reconciler.start();

  let closing: Promise<CloseResult> | undefined;
  const close = async (closeOptions: CloseOptions = {}): Promise<CloseResult> => {
    const result: CloseResult = { timedOut: false, abandoned: false };
    // Stops fetching at once (the deadline counts from here); resolves when the active jobs
    // have finished.
    const closed = worker.close().then(
      () => 'closed' as const,
      (err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'worker close reported an error');
        return 'closed' as const;
      },
    );
    // Meanwhile, bounded: a reconciler pass in flight waits on Redis, which may be away.
    const reconcilerClosed = settleWithin(reconciler.close(), RELEASE_TIMEOUT_MS);
    const deadlineMs = closeOptions.deadlineMs;
    if (deadlineMs !== undefined) {
      const timer = new AbortController();
      const first = await Promise.race([
        closed,
        sleep(deadlineMs, 'deadline' as const, { signal: timer.signal }).catch(
          () => 'closed' as const,
        ),
      ]);
      timer.abort();
      if (first === 'deadline') {
        result.timedOut = true;
        logger.warn(
          { deadlineMs },
          'shutdown deadline passed: cancelling active jobs (they are requeued)',
        );
        // worker.close(true) would be a no-op now (close is already under way); cancelling
        // aborts each job's signal, and the processor hands its job back to the queue.
        worker.cancelAllJobs('shutdown deadline');
        const graceTimer = new AbortController();
        const second = await Promise.race([
          closed,
          sleep(closeOptions.cancelGraceMs ?? 2000, 'stuck' as const, {
            signal: graceTimer.signal,
          }).catch(() => 'closed' as const),
        ]);
        graceTimer.abort();
        if (second === 'stuck') {
          result.abandoned = true;
          logger.error(
            {},
            'the worker did not finish closing after cancelling (jobs still running, or Redis unreachable): any job still active is left to the stalled-job check',
          );
          // Hangs while Redis is unreachable; the connection is dropped below anyway.
          void worker.disconnect().catch(() => undefined);
        }
      }
    } else {
      await closed;
    }
    await reconcilerClosed;
    if (result.abandoned) {
      // Giving up: the process exits soon, and waiting on a Redis that does not answer only
      // delays it.
      void Promise.allSettled([queue.close(), dlq.close()]);
      dropRedis(connection);
      return result;
    }
    await running;
    await settleWithin(Promise.allSettled([queue.close(), dlq.close()]), RELEASE_TIMEOUT_MS);
    await quitRedis(connection, RELEASE_TIMEOUT_MS);
    return result;
  };

  return {
    worker,
    reconciler,
    deadLetters,
    close: (closeOptions) => (closing ??= close(closeOptions)),
  };
}

import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import type { LoggerLike } from '../agora/index.js';
import { toDeadLetterEntry } from '../jobs/index.js';
import type { DeadLetterReason } from '../jobs/index.js';
import { computeBackoffMs } from './backoff.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import type { JobRunOutcome } from './worker-hooks.js';

/**
 * What to do with a processor error (the only place that decides it, DESIGN §2):
 * - `requeue`: the worker cancelled the job (shutdown) — back to the queue, no attempt used.
 * - `rate-limited`: a 429 or a busy limiter, within the job's `maxRateLimited` budget — park the
 *   job (moveToDelayed) without using an attempt.
 * - `dead-letter`: permanent (or invalid payload), or retryable on the last attempt — DLQ first,
 *   then fail the job.
 * - `retry`: rethrow; BullMQ retries with the custom backoff.
 */
export type ErrorDecision =
  | { kind: 'requeue' }
  | { kind: 'rate-limited' }
  | { kind: 'dead-letter'; reason: DeadLetterReason; unrecoverable: boolean }
  | { kind: 'retry' };

export interface ErrorFacts {
  /** Attempts finished before this one (`job.attemptsMade`). */
  attemptsMade: number;
  /** `job.opts.attempts` (BullMQ's default is 1). */
  attempts: number;
  /** 429-caused delays this job has had so far (`job.data.rateLimited`). */
  rateLimited: number;
  maxRateLimited: number;
  /** The job's AbortSignal fired: only the worker's shutdown cancels jobs. */
  aborted: boolean;
}

const MAX_CAUSE_DEPTH = 5;

/** Walks `err` and its causes; true when `test` holds for one of them. */
function someInChain(err: unknown, test: (e: object) => boolean): boolean {
  let current: unknown = err;
  for (
    let depth = 0;
    depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null;
    depth++
  ) {
    if (test(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** RateLimitBusyError (our limiter) or an HTTP 429 from Agora, anywhere along the cause chain. */
export function isRateLimitSignal(err: unknown): boolean {
  return someInChain(
    err,
    (e) =>
      (e as { name?: unknown }).name === 'RateLimitBusyError' ||
      (e as { status?: unknown }).status === 429,
  );
}

/** Errors say whether trying again can help; anything that does not say is retryable. */
export function isRetryable(err: unknown): boolean {
  if (typeof err === 'object' && err !== null) {
    const retryable = (err as { retryable?: unknown }).retryable;
    if (typeof retryable === 'boolean') return retryable;
  }
  return true;
}

export function classifyError(err: unknown, facts: ErrorFacts): ErrorDecision {
  if (facts.aborted) return { kind: 'requeue' };
  if ((err as { name?: unknown } | null)?.name === 'InvalidPayloadError') {
    return { kind: 'dead-letter', reason: 'invalid-payload', unrecoverable: true };
  }
  if (isRateLimitSignal(err) && facts.rateLimited < facts.maxRateLimited)
    return { kind: 'rate-limited' };
  if (!isRetryable(err)) return { kind: 'dead-letter', reason: 'permanent', unrecoverable: true };
  if (facts.attemptsMade + 1 >= facts.attempts) {
    return { kind: 'dead-letter', reason: 'attempts-exhausted', unrecoverable: false };
  }
  return { kind: 'retry' };
}

export interface HandleJobErrorContext {
  job: Job;
  token: string | undefined;
  signal: AbortSignal | undefined;
  /** The step the job was at (persisted cursor), for the DLQ entry. */
  failedStep: string;
  deadLetters: DeadLetterWriter;
  logger: LoggerLike;
  maxRateLimited: number;
  /** Base and cap of the delay after a 429 that carried no Retry-After. */
  rateLimitBackoff: { baseMs: number; maxMs: number };
  now: () => number;
  onOutcome?: (outcome: JobRunOutcome) => void;
  onDeadLetter?: (reason: DeadLetterReason) => void;
}

/** BullMQ stores `message` and `stack`; a thrown non-Error would lose both. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Acts on the decision for `err` and always throws what BullMQ must see: DelayedError (parked, no
 * attempt used), UnrecoverableError (DLQ written, no more attempts) or the error itself (retry,
 * or the last attempt after the DLQ entry was written). The one place that creates
 * UnrecoverableError. The DLQ entry is written BEFORE the job fails, under the job's own id;
 * when that write fails the reconciler adds it later from the failed set.
 */
export async function handleJobError(err: unknown, ctx: HandleJobErrorContext): Promise<never> {
  const { job, token, logger } = ctx;
  const data = (typeof job.data === 'object' && job.data !== null ? job.data : {}) as Record<
    string,
    unknown
  >;
  const rateLimited = typeof data['rateLimited'] === 'number' ? data['rateLimited'] : 0;
  const decision = classifyError(err, {
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    rateLimited,
    maxRateLimited: ctx.maxRateLimited,
    aborted: ctx.signal?.aborted === true,
  });

  // Parking needs the lock token; without one (never the case in a Worker) fall back to retry.
  if ((decision.kind === 'requeue' || decision.kind === 'rate-limited') && token !== undefined) {
    let delayMs = 0;
    if (decision.kind === 'rate-limited') {
      // The limiter's retryAfterMs (or a Retry-After) wins; otherwise an exponential delay with jitter.
      delayMs = computeBackoffMs(rateLimited + 1, err, ctx.rateLimitBackoff);
      await job.updateData({ ...data, rateLimited: rateLimited + 1 });
      logger.warn(
        {
          err: messageOf(err),
          delayMs,
          rateLimited: rateLimited + 1,
          maxRateLimited: ctx.maxRateLimited,
        },
        'rate limited: job delayed without using an attempt',
      );
    } else {
      logger.info(
        { reason: String(ctx.signal?.reason ?? 'cancelled') },
        'job cancelled by shutdown: requeued',
      );
    }
    await job.moveToDelayed(ctx.now() + delayMs, token);
    ctx.onOutcome?.(decision.kind === 'rate-limited' ? 'rate-limited' : 'requeued');
    throw new DelayedError();
  }

  if (decision.kind === 'dead-letter') {
    const entry = toDeadLetterEntry({
      jobId: job.id ?? 'unknown',
      data: job.data,
      err,
      failedStep: ctx.failedStep,
      attempts: job.attemptsMade + 1,
      reason: decision.reason,
      now: new Date(ctx.now()),
      enqueuedAt: job.timestamp,
    });
    try {
      await ctx.deadLetters.write(entry);
    } catch (writeErr) {
      logger.error({ err: writeErr }, 'could not write the DLQ entry; the reconciler will add it');
    }
    logger.error(
      {
        reason: decision.reason,
        failedStep: ctx.failedStep,
        error: entry.error,
        attempts: entry.attempts,
      },
      'takedown failed for good: dead-lettered',
    );
    ctx.onDeadLetter?.(decision.reason);
    ctx.onOutcome?.('dead-lettered');
    if (decision.unrecoverable) throw new UnrecoverableError(messageOf(err));
    throw asError(err);
  }

  logger.warn(
    { err: messageOf(err), attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 },
    'takedown attempt failed; will retry',
  );
  ctx.onOutcome?.('retry');
  throw asError(err);
}

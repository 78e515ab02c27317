import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import type { LoggerLike } from '../agora/index.js';
import { toDeadLetterEntry } from '../jobs/index.js';
import type { DeadLetterReason } from '../jobs/index.js';
import { computeBackoffMs, findRetryAfterMs } from './backoff.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import type { JobRunOutcome } from './worker-hooks.js';

/**
 * What to do with a processor error (the only place that decides it, DESIGN §2):
 * - `requeue`: the worker cancelled the job (shutdown) — back to the queue, no attempt used.
 * - `wait`: the takedown asked to resume later (ResumeLaterError: the verify settle) — parked
 *   until then with its cursor saved, no attempt used, no worker slot held.
 * - `rate-limited`: park the job (moveToDelayed) without using an attempt. `source: 'limiter'`:
 *   our own limiter is busy (RateLimitBusyError) — always parked, never counted against
 *   `maxRateLimited`: a big batch on many workers waits its turn, it does not fail for it.
 *   `source: 'agora'`: a real 429, parked only within the job's `maxRateLimited` budget.
 * - `dead-letter`: permanent (or invalid payload), or retryable on the last attempt — DLQ first,
 *   then fail the job.
 * - `retry`: rethrow; BullMQ retries with the custom backoff.
 */
export type ErrorDecision =
  | { kind: 'requeue' }
  | { kind: 'wait'; resumeAt: number }
  | { kind: 'rate-limited'; source: 'limiter' | 'agora' }
  | { kind: 'dead-letter'; reason: DeadLetterReason; unrecoverable: boolean }
  | { kind: 'retry' };

export interface ErrorFacts {
  /** Attempts finished before this one (`job.attemptsMade`). */
  attemptsMade: number;
  /** `job.opts.attempts` (BullMQ's default is 1). */
  attempts: number;
  /** 429-caused delays this job has had so far (`job.data.rateLimited`); busy-parks not included. */
  rateLimited: number;
  maxRateLimited: number;
  /** The job's AbortSignal fired: only the worker's shutdown cancels jobs. */
  aborted: boolean;
}

const MAX_CAUSE_DEPTH = 5;

/**
 * How long a slot whose job the limiter refused stays with that job before parking it. Without a
 * pause the freed slot fetches the next job at once, which is refused too while the App ID's line
 * is full: slots spin through park cycles (measured: ~140 Redis commands per takedown at the
 * defaults instead of ~20) and burn the CPU the saturated App ID needs. Short enough that a slot
 * still finds another App ID's job further down the queue within a fraction of a second.
 */
export const BUSY_PARK_PAUSE_MS = 100;

/** One message for every park without an attempt (a 429 or a busy limiter); `source` tells which. */
const RATE_LIMITED_MSG = 'rate limited: job delayed without using an attempt';

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

/** RateLimitBusyError (our own limiter has no slot within the hold budget), along the cause chain. */
export function isRateLimitBusy(err: unknown): boolean {
  return someInChain(err, (e) => (e as { name?: unknown }).name === 'RateLimitBusyError');
}

/** An HTTP 429 from Agora, anywhere along the cause chain. */
export function isTooManyRequests(err: unknown): boolean {
  return someInChain(err, (e) => (e as { status?: unknown }).status === 429);
}

/** RateLimitBusyError (our limiter) or an HTTP 429 from Agora, anywhere along the cause chain. */
export function isRateLimitSignal(err: unknown): boolean {
  return isRateLimitBusy(err) || isTooManyRequests(err);
}

/** ResumeLaterError's `resumeAt` (epoch ms); undefined for anything else. */
function resumeAtOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { name, resumeAt } = err as { name?: unknown; resumeAt?: unknown };
  return name === 'ResumeLaterError' && typeof resumeAt === 'number' && Number.isFinite(resumeAt)
    ? resumeAt
    : undefined;
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
  const resumeAt = resumeAtOf(err);
  if (resumeAt !== undefined) return { kind: 'wait', resumeAt };
  if ((err as { name?: unknown } | null)?.name === 'InvalidPayloadError') {
    return { kind: 'dead-letter', reason: 'invalid-payload', unrecoverable: true };
  }
  // Before the 429 check: a busy limiter reserved nothing and sent nothing, so it is no sign
  // of trouble with Agora and must not spend the 429 budget (nor, when that is gone, attempts).
  if (isRateLimitBusy(err)) return { kind: 'rate-limited', source: 'limiter' };
  if (isTooManyRequests(err) && facts.rateLimited < facts.maxRateLimited)
    return { kind: 'rate-limited', source: 'agora' };
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
  /** Base and cap of the delay after a 429 that carried no Retry-After; cap of a Retry-After. */
  rateLimitBackoff: { baseMs: number; maxMs: number; retryAfterMaxMs?: number };
  now: () => number;
  /** Each region's answer for the DLQ entry (the processor knows the job's regions). */
  regions?: (err: unknown) => Record<string, string> | undefined;
  /** After a park (moveToDelayed): e.g. promote the job again when it was raised meanwhile. */
  afterPark?: () => Promise<void>;
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

/** Counter in job data; anything else (absent, corrupt) counts as 0. */
function counterOf(data: Record<string, unknown>, field: string): number {
  const value = data[field];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/**
 * The limiter's `retryAfterMs` (when it expects this job's place in line to come up), with at
 * most 5 % (≤ 50 ms) jitter: the limiter already spreads parked jobs one interval apart, and a
 * later return would leave the App ID's slots unused.
 */
function busyParkDelayMs(err: unknown, fallbackMs: number): number {
  const retryAfterMs = findRetryAfterMs(err);
  if (retryAfterMs === undefined) return fallbackMs;
  return Math.round(retryAfterMs + Math.min(50, retryAfterMs * 0.05) * Math.random());
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
  const rateLimited = counterOf(data, 'rateLimited');
  const decision = classifyError(err, {
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    rateLimited,
    maxRateLimited: ctx.maxRateLimited,
    aborted: ctx.signal?.aborted === true,
  });

  // Parking needs the lock token; without one (never the case in a Worker) fall back to retry.
  if (decision.kind === 'wait' && token !== undefined) {
    // Debug: a settle is part of every takedown, not news.
    logger.debug({ resumeAt: new Date(decision.resumeAt).toISOString() }, messageOf(err));
    await job.moveToDelayed(Math.max(decision.resumeAt, ctx.now()), token);
    ctx.onOutcome?.('waiting');
    throw new DelayedError();
  }
  if ((decision.kind === 'requeue' || decision.kind === 'rate-limited') && token !== undefined) {
    let delayMs = 0;
    if (decision.kind === 'rate-limited' && decision.source === 'limiter') {
      // Normal under load (the App ID's budget is booked ahead): counted apart, for visibility only.
      const parked = counterOf(data, 'parked') + 1;
      delayMs = busyParkDelayMs(err, ctx.rateLimitBackoff.baseMs);
      // While the job still holds its lock; a shutdown cuts the pause short.
      await sleep(Math.min(BUSY_PARK_PAUSE_MS, delayMs), undefined, {
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      }).catch(() => undefined);
      delayMs = Math.max(0, delayMs - BUSY_PARK_PAUSE_MS);
      await job.updateData({ ...data, parked });
      logger.info(
        { err: messageOf(err), delayMs, parked, source: decision.source },
        RATE_LIMITED_MSG,
      );
    } else if (decision.kind === 'rate-limited') {
      // A Retry-After wins; otherwise an exponential delay with jitter.
      delayMs = computeBackoffMs(rateLimited + 1, err, ctx.rateLimitBackoff);
      await job.updateData({ ...data, rateLimited: rateLimited + 1 });
      logger.warn(
        {
          err: messageOf(err),
          delayMs,
          rateLimited: rateLimited + 1,
          maxRateLimited: ctx.maxRateLimited,
          source: decision.source,
        },
        RATE_LIMITED_MSG,
      );
    } else {
      logger.info(
        { reason: String(ctx.signal?.reason ?? 'cancelled') },
        'job cancelled by shutdown: requeued',
      );
    }
    await job.moveToDelayed(ctx.now() + delayMs, token);
    if (decision.kind === 'rate-limited') await ctx.afterPark?.();
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
      regions: ctx.regions?.(err),
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
        ...(entry.regions === undefined ? {} : { regions: entry.regions }),
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

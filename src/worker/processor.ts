import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type { AgoraApi, LoggerLike, Region } from '../agora/index.js';
import {
  BULL_PRIORITY,
  ExtraRegionError,
  assertTakedownPayload,
  maskJobId,
  maskStreamKey,
  parseTakedownProgress,
  runTakedown,
} from '../jobs/index.js';
import type { TakedownPayload, TakedownProgress, TakedownResult } from '../jobs/index.js';
import { handleJobError } from './classify-error.js';
import { deadLetterRegions } from './dead-letter-regions.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import { promoteIfRaised } from './promote-if-raised.js';
import type { ReadPriority } from './promote-if-raised.js';
import { withUrgency } from './urgency-aware-api.js';
import type { StepTracer } from '../telemetry/index.js';
import { settleWithin } from '../redis/index.js';
import { jobTiming, safeHook } from './worker-hooks.js';
import type { JobRun, JobRunOutcome, WorkerHooks } from './worker-hooks.js';

export interface ProcessorOptions {
  /** The rate-limited API (withRateLimit over the Agora client). */
  api: AgoraApi;
  /** The same for urgent takedowns: its calls take the limiter's urgent lane. @defaultValue api */
  urgentApi?: AgoraApi;
  /**
   * Reads a job's current BullMQ priority: a job raised to urgent while it runs takes the urgent
   * path from its next call, and a job raised while being parked is made runnable at once.
   */
  readPriority?: ReadPriority;
  /**
   * Waits inside a job longer than this (the verify settle) park the job until they are over
   * instead of holding its worker slot. Unset: every wait is slept in place.
   */
  deferWaitsOverMs?: number;
  deadLetters: DeadLetterWriter;
  logger: LoggerLike;
  keyRegions: readonly Region[];
  verify: { enabled: boolean; delayMs: number; maxRounds: number };
  /** 429-caused delays a job may take without using an attempt. */
  maxRateLimited: number;
  /**
   * Delay after a 429 without Retry-After: exponential from baseMs, capped at maxMs, jittered.
   * A Retry-After wins, capped at retryAfterMaxMs.
   */
  rateLimitBackoff: { baseMs: number; maxMs: number; retryAfterMaxMs?: number };
  hooks?: WorkerHooks;
  /** Runs each step in a tracing span (src/telemetry); unset when tracing is off. */
  traceStep?: StepTracer;
  /** Injectable for tests; must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** BullMQ's processor signature; the third parameter must be declared for BullMQ to pass a signal. */
export type TakedownProcessor = (
  job: Job,
  token: string | undefined,
  signal: AbortSignal | undefined,
) => Promise<TakedownResult>;

/** Longest wait for a run's audit/callback recording before the job moves on. */
const RUN_RECORD_TIMEOUT_MS = 5000;

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleepFor(ms, undefined, signal === undefined ? undefined : { signal });
};

function payloadOf(data: unknown): unknown {
  return typeof data === 'object' && data !== null
    ? (data as { payload?: unknown }).payload
    : undefined;
}

function jobBindings(job: Job, payload: TakedownPayload | undefined): Record<string, unknown> {
  const bindings: Record<string, unknown> = {
    jobId: job.id === undefined ? undefined : maskJobId(job.id),
    attempt: job.attemptsMade + 1,
  };
  if (payload !== undefined) {
    bindings['appId'] = payload.appId;
    bindings['region'] = payload.region;
    if (payload.sid !== undefined) bindings['sid'] = payload.sid;
    if (payload.streamKey !== undefined) bindings['streamKey'] = maskStreamKey(payload.streamKey);
  }
  return bindings;
}

/** The writer as this job's processor sees it: an entry it actually wrote is reported to the hook. */
function observedWriter(
  deadLetters: DeadLetterWriter,
  job: Job,
  hooks: WorkerHooks | undefined,
  now: () => number,
): DeadLetterWriter {
  if (hooks?.onDeadLetter === undefined) return deadLetters;
  return {
    ...deadLetters,
    write: async (entry) => {
      const written = await deadLetters.write(entry);
      if (written === 'written') safeHook(() => hooks.onDeadLetter?.(entry, jobTiming(job, now())));
      return written;
    },
  };
}

/**
 * The BullMQ processor for takedown jobs: validate the payload (a poison job goes to the DLQ
 * without a single API call), run the step machine from the persisted cursor, and hand every
 * error to handleJobError, which decides retry / park / dead-letter.
 */
export function createProcessor(options: ProcessorOptions): TakedownProcessor {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const { hooks, readPriority, traceStep } = options;

  /** Urgent when enqueued so or raised since (the priority field is the merge's record). */
  const jobApi = (job: Job, payload: TakedownPayload): AgoraApi => {
    const urgentApi = options.urgentApi ?? options.api;
    const urgentAtStart = payload.priority === 'urgent' || job.priority === BULL_PRIORITY.urgent;
    if (readPriority === undefined || job.id === undefined) {
      return urgentAtStart ? urgentApi : options.api;
    }
    const id = job.id;
    return withUrgency(options.api, urgentApi, urgentAtStart, async () => {
      const now = await readPriority(id);
      return now === BULL_PRIORITY.urgent;
    });
  };

  /** Hands the run to onRunFinished; its failure is logged and never changes the job's fate. */
  const finishRun = async (run: JobRun, logger: LoggerLike): Promise<void> => {
    if (hooks?.onRunFinished === undefined) return;
    const recorded = hooks.onRunFinished(run).catch((err: unknown) => {
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'audit/callback recording of this run failed; the takedown is unaffected',
      );
    });
    // Bounded: with Redis away the write waits forever, and a shutdown must not.
    if (!(await settleWithin(recorded, RUN_RECORD_TIMEOUT_MS))) {
      logger.warn(
        { timeoutMs: RUN_RECORD_TIMEOUT_MS },
        'audit/callback recording is slow; not waiting',
      );
    }
  };

  return async function processTakedown(job, token, signal) {
    const startedAt = now();
    const run: JobRun = {
      jobId: job.id ?? 'unknown',
      payload: payloadOf(job.data),
      enqueuedAt: job.timestamp,
      attempt: job.attemptsMade + 1,
      steps: [],
      calls: [],
      streamSeen: [],
      end: 'retry',
      finishedAt: startedAt,
    };
    let logger = options.logger.child(jobBindings(job, undefined));
    const stored =
      typeof job.data === 'object' && job.data !== null ? (job.data as { progress?: unknown }) : {};
    const progress: TakedownProgress | undefined = parseTakedownProgress(stored.progress);
    let failedStep: string = progress === undefined ? 'validate' : progress.step;
    let payload: TakedownPayload | undefined;
    try {
      payload = assertTakedownPayload(payloadOf(job.data));
      logger = options.logger.child(jobBindings(job, payload));
      failedStep = progress?.step ?? 'resolve';
      // Debug: the step lines and the outcome line already tell a job's story at info.
      logger.debug({ step: failedStep, resumed: progress !== undefined }, 'takedown started');
      const jobPayload = payload;
      const result = await runTakedown(payload, progress, {
        api: jobApi(job, payload),
        now,
        ...(options.deferWaitsOverMs === undefined
          ? {}
          : { deferWaitsOverMs: options.deferWaitsOverMs }),
        // updateData replaces the whole object: merge, never drop the payload.
        persist: async (next) => {
          failedStep = next.step;
          await job.updateData({ ...(job.data as object), progress: next });
        },
        sleep,
        keyRegions: options.keyRegions,
        verify: options.verify,
        logger,
        ...(signal === undefined ? {} : { signal }),
        ...(traceStep === undefined
          ? {}
          : {
              traceStep: <T>(step: string, run: () => Promise<T>) =>
                traceStep(step, { jobId: job.id, attempt: job.attemptsMade + 1 }, run),
            }),
        // A bare step change is not persisted, so the failing step is known from here too.
        onCall: (info) => run.calls.push({ ...info, at: now() }),
        onStreamSeen: (beginAt) => run.streamSeen.push(beginAt),
        onStep: (step, durationMs, nextStep) => {
          run.steps.push({ step, at: now(), durationMs: Math.round(durationMs) });
          failedStep = nextStep;
          logger.info({ step, durationMs: Math.round(durationMs) }, 'step done');
          safeHook(() =>
            hooks?.onStep?.(step, durationMs, { payload: jobPayload, enqueuedAt: job.timestamp }),
          );
        },
      });
      const durationMs = now() - startedAt;
      logger.info(
        {
          outcome: result.outcome,
          durationMs,
          revoked: result.revoked,
          regions: result.regions,
          disconnected: result.disconnected,
          foundByVerify: result.foundByVerify,
          verifyRounds: result.verifyRounds,
        },
        'takedown completed',
      );
      safeHook(() => hooks?.onJobRun?.('completed', durationMs));
      await finishRun({ ...run, end: 'completed', result, finishedAt: now() }, logger);
      return result;
    } catch (err) {
      let end: JobRunOutcome = 'retry';
      // The job's region and every region tried are done: the regions are what failed.
      if (err instanceof ExtraRegionError) failedStep = 'extra-regions';
      const deadPayload = payload;
      const deadStep = failedStep;
      try {
        return await handleJobError(err, {
          job,
          token,
          signal,
          failedStep,
          regions: (e) => deadLetterRegions(deadPayload, job.data, options.keyRegions, deadStep, e),
          // Counted where the entry is written, so an entry is reported once whoever writes it.
          deadLetters: observedWriter(options.deadLetters, job, hooks, now),
          logger,
          maxRateLimited: options.maxRateLimited,
          rateLimitBackoff: options.rateLimitBackoff,
          now,
          ...(readPriority === undefined
            ? {}
            : { afterPark: async () => void (await promoteIfRaised(job, readPriority)) }),
          onOutcome: (outcome) => {
            end = outcome;
            safeHook(() => hooks?.onJobRun?.(outcome, now() - startedAt));
          },
        });
      } finally {
        await finishRun({ ...run, end, finishedAt: now() }, logger);
      }
    }
  };
}

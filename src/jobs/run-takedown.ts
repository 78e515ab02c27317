import { ExtraRegionError, RetryableJobError } from './errors.js';
import { extraRegionsOf, regionAnswers } from './region-answers.js';
import { disconnectStep } from './steps/disconnect.js';
import { extraRegionsStep } from './steps/extra-regions.js';
import { resolveStep } from './steps/resolve.js';
import { revokeKeyStep } from './steps/revoke-key.js';
import { verifyStep } from './steps/verify.js';
import type { TakedownDeps } from './takedown-deps.js';
import { initialProgress } from './takedown-progress.js';
import type { TakedownProgress, TakedownStep } from './takedown-progress.js';
import type { TakedownPayload } from './takedown-request.js';
import { toTakedownResult } from './takedown-result.js';
import type { TakedownResult } from './takedown-result.js';

type StepFn = (
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
) => Promise<TakedownProgress>;

const STEPS: Readonly<Record<Exclude<TakedownStep, 'done'>, StepFn>> = {
  resolve: resolveStep,
  'revoke-key': revokeKeyStep,
  disconnect: disconnectStep,
  'extra-regions': extraRegionsStep,
  verify: verifyStep,
};

/**
 * Runs a takedown from its persisted cursor (or from the start) to `done`:
 * resolve → revoke-key → disconnect → [extra-regions] → verify. The job's region is revoked and
 * cut before any extra region is touched. An extra region that failed for good makes the run end
 * with ExtraRegionError (→ DLQ) once everything else is done, with each region's answer. The steps persist progress after every finished
 * piece (a region revoked, a SID cut, what verify found), the last piece of a step carrying the
 * next step, so a retry resumes at the first unfinished piece and never repeats a finished one.
 * A bare step change is not saved: a step whose pieces are all recorded re-runs without a call.
 * `done` is not saved either: the job's return value records the result; a job run again after
 * finishing (lock lost before BullMQ stored the result) at most repeats look-ups. Errors from
 * the API propagate unchanged; the worker classifies them. A job already `done` returns its
 * result without calling the API.
 */
export async function runTakedown(
  payload: TakedownPayload,
  progress: TakedownProgress | undefined,
  deps: TakedownDeps,
): Promise<TakedownResult> {
  let current = progress ?? initialProgress();
  while (current.step !== 'done') {
    throwIfAborted(deps.signal, current.step);
    const step = current.step;
    const logger = deps.logger?.child({ step });
    const stepDeps: TakedownDeps = logger === undefined ? deps : { ...deps, logger };
    const startedAt = performance.now();
    const runStep = (): Promise<TakedownProgress> => STEPS[step](payload, current, stepDeps);
    const next = await (deps.traceStep === undefined ? runStep() : deps.traceStep(step, runStep));
    if (next.step === step) throw new Error(`internal: takedown step ${step} did not advance`);
    const durationMs = performance.now() - startedAt;
    deps.onStep?.(step, durationMs, next.step);
    logger?.debug(
      { durationMs: Math.round(durationMs), nextStep: next.step },
      'takedown step finished',
    );
    current = next;
  }
  throwIfRegionsFailed(payload, current, deps);
  return toTakedownResult(payload, current);
}

/** The rest is done (the job's region verified); an extra region that failed sends it to the DLQ. */
function throwIfRegionsFailed(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): void {
  const failed = Object.entries(progress.failedRegions ?? {});
  if (failed.length === 0) return;
  const regions = regionAnswers(progress, [
    payload.region,
    ...extraRegionsOf(payload, deps.keyRegions),
  ]);
  const cut = Object.values(progress.disconnected).filter((r) => r === 'disconnected').length;
  throw new ExtraRegionError(
    `the stream key could not be taken down in every region: ` +
      failed.map(([region, answer]) => `${region}: ${answer}`).join('; ') +
      `; region ${payload.region} is done (key ${regions[payload.region] ?? 'pending'}, ` +
      `${cut} session(s) cut)`,
    { regions: regions },
  );
}

/** Between steps only: inside a step the API client and sleep see the signal themselves. */
function throwIfAborted(signal: AbortSignal | undefined, step: TakedownStep): void {
  if (signal?.aborted === true) {
    throw new RetryableJobError(`takedown aborted before step ${step}`, { cause: signal.reason });
  }
}

import type { AgoraApi, CallInfo, CallOptions, LoggerLike, Region } from '../agora/types.js';
import type { TakedownProgress, TakedownStep } from './takedown-progress.js';

/** Verify rounds the issue allows before giving up with a retryable error. */
export const DEFAULT_VERIFY_MAX_ROUNDS = 3;

/** What the step machine needs from outside; the worker builds it per job. */
export interface TakedownDeps {
  api: AgoraApi;
  /**
   * Stores progress in the job (the worker merges it into job.data). Awaited before going on.
   * Called after each finished piece only, never for a bare step change or for `done`.
   */
  persist(progress: TakedownProgress): Promise<void>;
  /** Settle delays slept in place (see deferWaitsOverMs); should reject when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Extra regions to revoke the key in for every job (`AGORA_KEY_REGIONS`), after the request's
   * own `extraRegions`; the job's region is always revoked and cut first.
   */
  keyRegions: readonly Region[];
  verify: { enabled: boolean; delayMs: number; maxRounds: number };
  /** Scoped to the job; API call lines go to a child bound with the step. */
  logger?: LoggerLike;
  signal?: AbortSignal;
  /** Called after each finished step (metrics, logs) with the step that comes next. */
  onStep?(step: TakedownStep, durationMs: number, nextStep: TakedownStep): void;
  /**
   * Waits longer than this are not slept: the step persists when to go on and throws
   * ResumeLaterError, so the worker can park the job. Unset: every wait is slept in place.
   */
  deferWaitsOverMs?: number;
  /** Clock for settle deadlines. @defaultValue Date.now */
  now?(): number;
  /** Wraps each step run, e.g. in a tracing span (the worker passes src/telemetry's). */
  traceStep?<T>(step: TakedownStep, run: () => Promise<T>): Promise<T>;
  /** Told about every finished Agora call of this takedown (the audit trail). */
  onCall?(info: CallInfo): void;
  /** Told when a call showed the stream live, with Agora's `beginAt` (DSA content_date). */
  onStreamSeen?(beginAt: string): void;
}

/** Per-call options for the API: the job's signal and logger, without undefined members. */
export function callOptions(deps: Pick<TakedownDeps, 'signal' | 'logger' | 'onCall'>): CallOptions {
  const opts: CallOptions = {};
  if (deps.signal !== undefined) opts.signal = deps.signal;
  if (deps.logger !== undefined) opts.logger = deps.logger;
  if (deps.onCall !== undefined) opts.onCall = deps.onCall;
  return opts;
}

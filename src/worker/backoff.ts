/** Inputs of the retry delay; `random` is injectable so tests can pin the jitter. */
export interface BackoffOptions {
  /** Delay cap of the first retry (attempt 1); doubles per attempt. */
  baseMs: number;
  /** Upper bound of the exponential delay. */
  maxMs: number;
  /** Upper bound of an error's own `retryAfterMs` (a server's Retry-After). @defaultValue 2 × maxMs */
  retryAfterMaxMs?: number;
  /** Uniform [0, 1) source; defaults to `Math.random`. */
  random?: () => number;
}

/**
 * Structural twin of BullMQ's `BackoffStrategy` (`Worker` `settings.backoffStrategy`), so this
 * file needs no bullmq import. Returning 0 retries at once; BullMQ treats -1 as "fail now",
 * which this strategy never returns.
 */
export type BackoffStrategy = (
  attemptsMade: number,
  type?: string,
  err?: Error,
  job?: unknown,
) => number;

/** `retryAfterMs` gets up to this much extra, so jobs told the same wait don't return together. */
const RETRY_AFTER_JITTER = 0.1;
/** How deep to look through `cause` for a `retryAfterMs` (a step error may wrap the HTTP error). */
const MAX_CAUSE_DEPTH = 5;

function assertNonNegative(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`backoff: ${field} must be a finite number ≥ 0, got ${String(value)}`);
  }
}

function validate(options: BackoffOptions): void {
  assertNonNegative('baseMs', options.baseMs);
  assertNonNegative('maxMs', options.maxMs);
  if (options.retryAfterMaxMs !== undefined)
    assertNonNegative('retryAfterMaxMs', options.retryAfterMaxMs);
  if (options.maxMs < options.baseMs) {
    throw new RangeError(`backoff: maxMs (${options.maxMs}) must be ≥ baseMs (${options.baseMs})`);
  }
}

/** The server's own "come back in N ms" (duck-typed: AgoraHttpError, RetryableJobError, …). */
export function findRetryAfterMs(err: unknown): number | undefined {
  let current: unknown = err;
  for (
    let depth = 0;
    depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null;
    depth++
  ) {
    const value = (current as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** min(maxMs, baseMs · 2^(attempt−1)) without overflowing into Infinity/NaN for huge attempts. */
function exponentialCap(attemptsMade: number, baseMs: number, maxMs: number): number {
  const attempt = Number.isFinite(attemptsMade) && attemptsMade >= 1 ? Math.floor(attemptsMade) : 1;
  // 2^52 · base exceeds any sane maxMs; stopping there keeps 0 · Infinity out of the maths.
  const exponent = Math.min(attempt - 1, 52);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

function uniform(random: () => number): number {
  const r = random();
  // A broken source must not produce a negative or NaN delay.
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
}

/**
 * Delay before retry number `attemptsMade` (BullMQ passes 1 for the first retry).
 *
 * - Default: full jitter — uniform in [0, min(maxMs, baseMs · 2^(attemptsMade−1))].
 * - When the error (or one of its causes) carries a numeric `retryAfterMs`, that wins: the
 *   delay is retryAfterMs plus up to 10 % jitter. It is not cut down to maxMs (the server
 *   asked for it), but it is capped at retryAfterMaxMs (default 2 × maxMs) so a silly
 *   Retry-After (hours, from a proxy) cannot park a takedown for that long.
 *
 * Always a finite integer ≥ 0.
 */
export function computeBackoffMs(
  attemptsMade: number,
  err: unknown,
  options: BackoffOptions,
): number {
  validate(options);
  const random = options.random ?? Math.random;
  const retryAfterMs = findRetryAfterMs(err);
  if (retryAfterMs !== undefined) {
    const jittered = retryAfterMs * (1 + RETRY_AFTER_JITTER * uniform(random));
    return Math.round(Math.min(jittered, options.retryAfterMaxMs ?? 2 * options.maxMs));
  }
  const cap = exponentialCap(attemptsMade, options.baseMs, options.maxMs);
  return Math.round(uniform(random) * cap);
}

/** A BullMQ `settings.backoffStrategy`; options are checked once, here. */
export function createBackoffStrategy(options: BackoffOptions): BackoffStrategy {
  validate(options);
  return (attemptsMade, _type, err) => computeBackoffMs(attemptsMade, err, options);
}

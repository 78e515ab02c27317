/**
 * Job-level errors: the name says what happens to the job (style-anchors "Error taxonomy").
 * The worker's dispatcher is the one place that turns a non-retryable error into BullMQ's
 * UnrecoverableError; nothing here knows about BullMQ.
 */

/** One validation problem: which field, and what is allowed there. */
export interface FieldError {
  field: string;
  message: string;
}

/** Joins field errors into one line ("region: …; sid: …") for messages and CLI output. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

/** A job payload failed the schema when the worker picked it up. Never retried: it cannot heal. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  readonly retryable = false;
  readonly fieldErrors: readonly FieldError[];

  constructor(fieldErrors: readonly FieldError[], options?: { cause?: unknown }) {
    super(`invalid takedown payload: ${formatFieldErrors(fieldErrors)}`, options);
    this.fieldErrors = fieldErrors;
  }
}

/** The domain says stop: retrying would do the same thing again (goes to the DLQ at once). */
export class PermanentJobError extends Error {
  override readonly name: string = 'PermanentJobError';
  readonly retryable = false;
}

/** The request's stream key is not the key the named SID pushes with: nothing is revoked or cut. */
export class KeySidMismatchError extends PermanentJobError {
  override readonly name: string = 'KeySidMismatchError';
}

/** The SID is not live in the request's region but in another one (named in `region`). */
export class WrongRegionError extends PermanentJobError {
  override readonly name: string = 'WrongRegionError';
  readonly region: string;

  constructor(message: string, options: { region: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.region = options.region;
  }
}

/**
 * An extra region of the key answered with a permanent error. Thrown only once the job's region
 * is done (key revoked, sessions cut, verified) and every other region was tried: the job goes to
 * the DLQ with each region's answer in `regions`.
 */
export class ExtraRegionError extends PermanentJobError {
  override readonly name: string = 'ExtraRegionError';
  /** Each region's answer (`revoked`, `not-found`, `failed: …`), the job's region first. */
  readonly regions: Readonly<Record<string, string>>;

  constructor(message: string, options: { regions: Record<string, string>; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.regions = { ...options.regions };
  }
}

/** The domain says try later; `retryAfterMs`, when set, wins over the exponential backoff. */
export class RetryableJobError extends Error {
  override readonly name: string = 'RetryableJobError';
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** A session of the key was still live after the last verify round (a retry verifies again). */
export class VerifyFailedError extends RetryableJobError {
  override readonly name: string = 'VerifyFailedError';
  /** The SIDs seen live in the last round (they were disconnected again before this was thrown). */
  readonly liveSids: readonly string[];

  constructor(
    message: string,
    options: { liveSids: readonly string[]; cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.liveSids = options.liveSids;
  }
}

/**
 * Not a failure: the takedown has to wait (the settle before a verify round) and asks to resume at
 * `resumeAt` (epoch ms). Its cursor is already persisted. The worker parks the job until then, so
 * the wait holds no worker slot and uses no attempt.
 */
export class ResumeLaterError extends Error {
  override readonly name = 'ResumeLaterError';
  readonly retryable = true;
  readonly resumeAt: number;

  constructor(resumeAt: number, reason: string) {
    super(`takedown resumes at ${new Date(resumeAt).toISOString()}: ${reason}`);
    this.resumeAt = resumeAt;
  }
}

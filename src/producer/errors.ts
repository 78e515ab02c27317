import { formatFieldErrors } from '../jobs/index.js';
import type { FieldError } from '../jobs/index.js';

/** Redis could not be reached (or dropped mid-call). Nothing was done that the caller can rely on. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly retryable = true;
  /** The Redis URL without its password. */
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`Redis unreachable at ${url}: ${reason}`, options);
    this.url = url;
  }
}

/** The request was rejected before anything was written; `fieldErrors` names every bad field. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly retryable = false;
  readonly fieldErrors: readonly FieldError[];

  constructor(fieldErrors: readonly FieldError[], options?: { cause?: unknown; subject?: string }) {
    super(
      `invalid ${options?.subject ?? 'takedown request'}: ${formatFieldErrors(fieldErrors)}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.fieldErrors = fieldErrors;
  }
}

// ioredis reports a lost or refused connection through these messages and codes.
const CONNECTION_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Reached the max retries per request limit',
  'Command timed out',
];
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Whether an error thrown by a Redis call means "Redis is not there" rather than a bug. */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}

import { isHTTPError, isKyError, isTimeoutError } from 'ky';
import type { AgoraOp } from './types.js';

/**
 * Errors of the Agora client. Every class sets `name` explicitly, keeps `cause` and says whether
 * trying again can help (`retryable`); the worker's backoff reads `retryAfterMs` when present.
 * Messages never carry headers or credentials: op, status, Agora's message and the request id only.
 */

interface AgoraErrorOptions {
  retryable: boolean;
  op?: AgoraOp | undefined;
  requestId?: string | undefined;
  cause?: unknown;
}

/** Base class; also used as-is for the rare failure that fits no subclass (retryable). */
export class AgoraError extends Error {
  override readonly name: string = 'AgoraError';
  readonly retryable: boolean;
  readonly op: AgoraOp | undefined;
  /** X-Request-ID the server answered with, else the one sent; undefined when nothing was sent. */
  readonly requestId: string | undefined;

  constructor(message: string, options: AgoraErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.op = options.op;
    this.requestId = options.requestId;
  }
}

/** Agora answered with a non-2xx status. */
export class AgoraHttpError extends AgoraError {
  override readonly name = 'AgoraHttpError';
  readonly status: number;
  /** The `message` field of Agora's error body, when there was one. */
  readonly agoraMessage: string | undefined;
  override readonly requestId: string;
  /** From a `Retry-After` header (delta seconds or HTTP date); Agora documents none. */
  readonly retryAfterMs: number | undefined;

  constructor(options: {
    op: AgoraOp;
    status: number;
    agoraMessage?: string | undefined;
    requestId: string;
    retryAfterMs?: number | undefined;
    cause?: unknown;
  }) {
    const detail = options.agoraMessage === undefined ? '' : ` "${options.agoraMessage}"`;
    super(
      `Agora ${options.op} failed: HTTP ${options.status}${detail} (requestId ${options.requestId})`,
      {
        retryable: isRetryableStatus(options.status),
        op: options.op,
        requestId: options.requestId,
        cause: options.cause,
      },
    );
    this.status = options.status;
    this.agoraMessage = options.agoraMessage;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** No HTTP answer: connection refused/reset, DNS failure, socket closed mid-body. */
export class AgoraNetworkError extends AgoraError {
  override readonly name = 'AgoraNetworkError';
  /** System or undici error code when known (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`…). */
  readonly code: string | undefined;

  constructor(options: {
    op: AgoraOp;
    requestId: string;
    code?: string | undefined;
    cause?: unknown;
  }) {
    const what = options.code ?? 'network error';
    super(`Agora ${options.op} failed: ${what} (requestId ${options.requestId})`, {
      retryable: true,
      op: options.op,
      requestId: options.requestId,
      cause: options.cause,
    });
    this.code = options.code;
  }
}

/** No complete answer within the client's `timeoutMs`. The call may or may not have taken effect. */
export class AgoraTimeoutError extends AgoraError {
  override readonly name = 'AgoraTimeoutError';

  constructor(options: { op: AgoraOp; requestId: string; cause?: unknown }) {
    super(`Agora ${options.op} timed out (requestId ${options.requestId})`, {
      retryable: true,
      op: options.op,
      requestId: options.requestId,
      cause: options.cause,
    });
  }
}

/**
 * The caller's AbortSignal fired (e.g. a worker shutting down). Retryable: nothing is known to
 * have happened, and every takedown step is idempotent.
 */
export class AgoraAbortedError extends AgoraError {
  override readonly name = 'AgoraAbortedError';

  constructor(options: { op: AgoraOp; requestId: string; cause?: unknown }) {
    super(`Agora ${options.op} aborted by the caller (requestId ${options.requestId})`, {
      retryable: true,
      op: options.op,
      requestId: options.requestId,
      cause: options.cause,
    });
  }
}

/** A 2xx answer whose body is not what the API documents: contract drift, not retryable. */
export class AgoraResponseError extends AgoraError {
  override readonly name = 'AgoraResponseError';
  readonly status: number;
  override readonly requestId: string;

  constructor(options: {
    op: AgoraOp;
    status: number;
    requestId: string;
    detail: string;
    cause?: unknown;
  }) {
    super(
      `Agora ${options.op} returned an unexpected body (HTTP ${options.status}): ${options.detail} (requestId ${options.requestId})`,
      { retryable: false, op: options.op, requestId: options.requestId, cause: options.cause },
    );
    this.status = options.status;
    this.requestId = options.requestId;
  }
}

/** A caller-supplied value is unsafe or malformed; raised before any request is sent. */
export class InvalidArgumentError extends AgoraError {
  override readonly name = 'InvalidArgumentError';
  /** The offending field, e.g. `sid`, `streamKey`, `region`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message, { retryable: false });
    this.field = field;
  }
}

/** Any error of this module (checks `name` too, so it survives duplicated module copies). */
export function isAgoraError(err: unknown): err is AgoraError {
  return (
    err instanceof AgoraError ||
    (err instanceof Error &&
      AGORA_ERROR_NAMES.has(err.name) &&
      typeof (err as { retryable?: unknown }).retryable === 'boolean')
  );
}

const AGORA_ERROR_NAMES = new Set([
  'AgoraError',
  'AgoraHttpError',
  'AgoraNetworkError',
  'AgoraTimeoutError',
  'AgoraAbortedError',
  'AgoraResponseError',
  'InvalidArgumentError',
]);

export function isAgoraHttpError(err: unknown): err is AgoraHttpError {
  return isAgoraError(err) && err.name === 'AgoraHttpError';
}

/**
 * Whether trying again can help. Errors carrying a boolean `retryable` decide for themselves;
 * anything else (bugs, unknowns) counts as retryable, as in every queue library we follow.
 */
export function isRetryableError(err: unknown): boolean {
  if (typeof err === 'object' && err !== null) {
    const flag = (err as { retryable?: unknown }).retryable;
    if (typeof flag === 'boolean') return flag;
  }
  return true;
}

/** Retryable: 408, 409 (Agora: too many concurrent requests), 429, 5xx. Not: other 4xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * `Retry-After` as milliseconds from `now`: delta seconds or an HTTP date (past dates → 0).
 * Undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Only date-looking values: Date.parse accepts bare numbers like "1.5" or "-1" as years.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Agora's error `message` from a response body, if the body is JSON with a string `message`. */
export function extractAgoraMessage(bodyText: string): string | undefined {
  if (bodyText === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const message = (parsed as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  // Server text ends up in logs and the DLQ: keep it printable and bounded.
  // eslint-disable-next-line no-control-regex
  const clean = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

export interface ToAgoraErrorContext {
  op: AgoraOp;
  /** The X-Request-ID sent (or the one answered, when a response arrived). */
  requestId: string;
  /** Body text of an HTTP error response, read by the caller (reading is async). */
  bodyText?: string;
  /** True when the caller's own AbortSignal fired; its reason may be any value. */
  aborted?: boolean;
}

const NETWORK_TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * The one translation point from what ky / undici / AbortSignal throw to Agora errors:
 * ky `HTTPError` → AgoraHttpError; ky `TimeoutError` or a `TimeoutError` DOMException →
 * AgoraTimeoutError; the caller's abort → AgoraAbortedError; undici's `TypeError('fetch failed')`
 * (cause ECONNREFUSED, ECONNRESET, …) → AgoraNetworkError; an AgoraError passes through.
 */
export function toAgoraError(err: unknown, ctx: ToAgoraErrorContext): AgoraError {
  if (isAgoraError(err)) return err;
  const { op } = ctx;

  if (isHTTPError(err)) {
    const response = err.response;
    const requestId = response.headers.get('x-request-id') ?? ctx.requestId;
    return new AgoraHttpError({
      op,
      status: response.status,
      agoraMessage: extractAgoraMessage(ctx.bodyText ?? ''),
      requestId,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      cause: sanitizeKyError(err),
    });
  }
  const requestId = ctx.requestId;
  if (ctx.aborted === true) {
    return new AgoraAbortedError({
      op,
      requestId,
      cause: isKyError(err) ? sanitizeKyError(err) : err,
    });
  }
  if (isTimeoutError(err)) {
    return new AgoraTimeoutError({ op, requestId, cause: sanitizeKyError(err) });
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new AgoraTimeoutError({ op, requestId, cause: err });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new AgoraAbortedError({ op, requestId, cause: err });
  }
  if (err instanceof TypeError) {
    const code = findErrorCode(err);
    if (code !== undefined && NETWORK_TIMEOUT_CODES.has(code)) {
      return new AgoraTimeoutError({ op, requestId, cause: err });
    }
    return new AgoraNetworkError({ op, requestId, code, cause: err });
  }
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new AgoraError(`Agora ${op} failed: ${detail} (requestId ${requestId})`, {
    retryable: true,
    op,
    requestId,
    cause: err,
  });
}

/** First `code` along the cause chain (undici nests the system error one or two levels down). */
function findErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * ky errors hold the Request and the normalized options, whose headers include Authorization.
 * Keep only name, message (method + URL) and stack, so a logged `cause` can never leak them.
 */
function sanitizeKyError(err: unknown): Error {
  const source = err as Error;
  const copy = new Error(source.message);
  copy.name = source.name;
  if (source.stack !== undefined) copy.stack = source.stack;
  return copy;
}

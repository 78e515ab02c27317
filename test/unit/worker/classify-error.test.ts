import { describe, expect, it } from 'vitest';
import { AgoraHttpError, AgoraNetworkError } from '../../../src/agora/index.js';
import {
  ResumeLaterError,
  InvalidPayloadError,
  PermanentJobError,
  RetryableJobError,
  VerifyFailedError,
} from '../../../src/jobs/index.js';
import {
  RateLimitBusyError,
  classifyError,
  isRateLimitBusy,
  isRateLimitSignal,
  isRetryable,
  isTooManyRequests,
} from '../../../src/worker/index.js';
import type { ErrorFacts } from '../../../src/worker/index.js';

const facts = (over: Partial<ErrorFacts> = {}): ErrorFacts => ({
  attemptsMade: 0,
  attempts: 5,
  rateLimited: 0,
  maxRateLimited: 3,
  aborted: false,
  ...over,
});

const http = (status: number): AgoraHttpError =>
  new AgoraHttpError({ op: 'disconnect', status, requestId: 'r-1', agoraMessage: 'nope' });
const busy = (): RateLimitBusyError =>
  new RateLimitBusyError({
    appId: 'app',
    callClass: 'delete',
    backlogMs: 5000,
    retryAfterMs: 4000,
  });

describe('classifyError', () => {
  it.each([400, 401, 403, 404, 422])('sends HTTP %i straight to the DLQ as permanent', (status) => {
    expect(classifyError(http(status), facts())).toEqual({
      kind: 'dead-letter',
      reason: 'permanent',
      unrecoverable: true,
    });
  });

  it.each([408, 409, 500, 502, 503, 504])('retries HTTP %i while attempts remain', (status) => {
    expect(classifyError(http(status), facts({ attemptsMade: 3 }))).toEqual({ kind: 'retry' });
  });

  it('dead-letters a retryable error on the last attempt without making it unrecoverable', () => {
    expect(classifyError(http(503), facts({ attemptsMade: 4, attempts: 5 }))).toEqual({
      kind: 'dead-letter',
      reason: 'attempts-exhausted',
      unrecoverable: false,
    });
    // attempts: 1 = the only attempt is the last one.
    expect(classifyError(new Error('x'), facts({ attempts: 1 })).kind).toBe('dead-letter');
  });

  it('a settle wait (ResumeLaterError) is parked until its time, whatever the attempt; shutdown still requeues', () => {
    const wait = new ResumeLaterError(1_000_000, 'settle before verifying');
    expect(classifyError(wait, facts())).toEqual({ kind: 'wait', resumeAt: 1_000_000 });
    expect(classifyError(wait, facts({ attempts: 1, attemptsMade: 0 }))).toEqual({
      kind: 'wait',
      resumeAt: 1_000_000,
    });
    expect(classifyError(wait, facts({ aborted: true }))).toEqual({ kind: 'requeue' });
  });

  it('treats an invalid payload as its own DLQ reason', () => {
    const err = new InvalidPayloadError([
      { field: 'region', message: 'must be one of na, eu, ap, cn' },
    ]);
    expect(classifyError(err, facts())).toEqual({
      kind: 'dead-letter',
      reason: 'invalid-payload',
      unrecoverable: true,
    });
  });

  it('follows the error class for job-level errors, and retries unknown errors', () => {
    expect(classifyError(new PermanentJobError('stop'), facts()).kind).toBe('dead-letter');
    expect(classifyError(new RetryableJobError('later'), facts()).kind).toBe('retry');
    expect(classifyError(new VerifyFailedError('live', { liveSids: ['s'] }), facts()).kind).toBe(
      'retry',
    );
    expect(classifyError(new TypeError('bug'), facts()).kind).toBe('retry');
    expect(classifyError('a string', facts()).kind).toBe('retry');
    expect(
      classifyError(new AgoraNetworkError({ op: 'disconnect', requestId: 'r' }), facts()).kind,
    ).toBe('retry');
  });

  it('parks 429s without an attempt, up to maxRateLimited', () => {
    expect(classifyError(http(429), facts({ rateLimited: 2 }))).toEqual({
      kind: 'rate-limited',
      source: 'agora',
    });
    // Budget spent: a 429 is an ordinary retryable error again.
    expect(classifyError(http(429), facts({ rateLimited: 3 }))).toEqual({ kind: 'retry' });
    expect(classifyError(http(429), facts({ rateLimited: 3, attemptsMade: 4 }))).toMatchObject({
      kind: 'dead-letter',
      reason: 'attempts-exhausted',
    });
    expect(classifyError(http(429), facts({ maxRateLimited: 0 }))).toEqual({ kind: 'retry' });
  });

  it('always parks a busy limiter, whatever the 429 budget and attempts say', () => {
    const parked = { kind: 'rate-limited', source: 'limiter' };
    expect(classifyError(busy(), facts({ rateLimited: 0, attemptsMade: 4 }))).toEqual(parked);
    // 429 budget spent, last attempt, no budget at all: still parked, never retried or DLQ'd.
    expect(classifyError(busy(), facts({ rateLimited: 3, attemptsMade: 4 }))).toEqual(parked);
    expect(classifyError(busy(), facts({ rateLimited: 99, maxRateLimited: 0 }))).toEqual(parked);
    expect(classifyError(busy(), facts({ attempts: 1 }))).toEqual(parked);
    // Wrapped by a step error.
    expect(
      classifyError(new RetryableJobError('step', { cause: busy() }), facts({ rateLimited: 3 })),
    ).toEqual(parked);
    // Shutdown still wins: requeued, not parked.
    expect(classifyError(busy(), facts({ aborted: true }))).toEqual({ kind: 'requeue' });
  });

  it('requeues anything thrown after the worker cancelled the job', () => {
    expect(classifyError(http(400), facts({ aborted: true }))).toEqual({ kind: 'requeue' });
    expect(classifyError(new Error('aborted'), facts({ aborted: true, attemptsMade: 4 }))).toEqual({
      kind: 'requeue',
    });
  });
});

describe('isRateLimitSignal / isRetryable', () => {
  it('finds a 429 or a busy limiter along the cause chain', () => {
    expect(isRateLimitSignal(http(429))).toBe(true);
    expect(isRateLimitSignal(busy())).toBe(true);
    expect(isRateLimitSignal(new RetryableJobError('wrapped', { cause: http(429) }))).toBe(true);
    expect(isRateLimitSignal(http(503))).toBe(false);
    expect(isRateLimitSignal(undefined)).toBe(false);
  });

  it('tells a busy limiter from a 429', () => {
    expect(isRateLimitBusy(busy())).toBe(true);
    expect(isRateLimitBusy(new RetryableJobError('wrapped', { cause: busy() }))).toBe(true);
    expect(isRateLimitBusy(http(429))).toBe(false);
    expect(isTooManyRequests(http(429))).toBe(true);
    expect(isTooManyRequests(busy())).toBe(false);
  });

  it('reads `retryable` and defaults to true', () => {
    expect(isRetryable(http(400))).toBe(false);
    expect(isRetryable(http(503))).toBe(true);
    expect(isRetryable({ retryable: false })).toBe(false);
    expect(isRetryable(new Error('unknown'))).toBe(true);
    expect(isRetryable(null)).toBe(true);
  });
});

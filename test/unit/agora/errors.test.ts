import { HTTPError, TimeoutError } from 'ky';
import { describe, expect, it } from 'vitest';
import {
  AgoraAbortedError,
  AgoraError,
  AgoraHttpError,
  AgoraNetworkError,
  AgoraResponseError,
  AgoraTimeoutError,
  InvalidArgumentError,
  isAgoraError,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  toAgoraError,
} from '../../../src/agora/errors.js';

const SECRET_AUTH = 'Basic c2VjcmV0LWlkOnN1cGVyLXNlY3JldA==';

/** A real ky HTTPError around a real Response, with an Authorization header on the request. */
function httpError(status: number, body: string, headers: Record<string, string> = {}): HTTPError {
  const request = new Request('https://api.agora.io/na/v1/projects/APP/rtls/ingress/streamkeys/k', {
    method: 'DELETE',
    headers: { authorization: SECRET_AUTH },
  });
  const response = new Response(body, { status, headers });
  // ky's NormalizedOptions also hold the headers; the translation must drop them.
  return new HTTPError(response, request, {
    method: 'DELETE',
    headers: new Headers({ authorization: SECRET_AUTH }),
  } as never);
}

describe('status classification', () => {
  it.each([
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [599, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [405, false],
    [413, false],
    [415, false],
    [422, false],
  ])('HTTP %i retryable: %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
    expect(new AgoraHttpError({ op: 'delete-key', status, requestId: 'r' }).retryable).toBe(
      retryable,
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it.each([
    ['0', 0],
    ['1', 1000],
    [' 120 ', 120_000],
    ['Wed, 01 May 2024 12:00:30 GMT', 30_000],
    ['Wed, 01 May 2024 11:59:00 GMT', 0],
  ])('parses %j as %i ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, undefined, '', 'soon', '-1', '1.5', '10s', 'Not a date at all'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );
});

describe('toAgoraError', () => {
  it('maps a ky HTTPError with Agora body, request id and Retry-After', () => {
    const err = toAgoraError(
      httpError(429, '{"message":"Request rate limit exceeded."}', {
        'x-request-id': 'server-id',
        'retry-after': '3',
      }),
      {
        op: 'delete-key',
        requestId: 'sent-id',
        bodyText: '{"message":"Request rate limit exceeded."}',
      },
    );
    expect(err).toBeInstanceOf(AgoraHttpError);
    const e = err as AgoraHttpError;
    expect(e).toMatchObject({
      name: 'AgoraHttpError',
      status: 429,
      agoraMessage: 'Request rate limit exceeded.',
      requestId: 'server-id',
      retryAfterMs: 3000,
      retryable: true,
      op: 'delete-key',
    });
    expect(e.message).toBe(
      'Agora delete-key failed: HTTP 429 "Request rate limit exceeded." (requestId server-id)',
    );
  });

  it('falls back to the sent request id (401 carries none) and is not retryable', () => {
    const e = toAgoraError(httpError(401, '{"message":"Invalid authentication credentials."}'), {
      op: 'query-key',
      requestId: 'sent-id',
      bodyText: '{"message":"Invalid authentication credentials."}',
    });
    expect(e).toMatchObject({
      name: 'AgoraHttpError',
      status: 401,
      requestId: 'sent-id',
      retryable: false,
    });
    expect((e as AgoraHttpError).retryAfterMs).toBeUndefined();
  });

  it('keeps no credentials anywhere on the error, its cause or its JSON form', () => {
    const e = toAgoraError(httpError(500, 'oops'), {
      op: 'disconnect',
      requestId: 'r',
      bodyText: 'oops',
    });
    expect(e.cause).toBeInstanceOf(Error);
    expect((e.cause as Error).name).toBe('HTTPError');
    const dump = [
      e.message,
      e.stack,
      JSON.stringify(e),
      JSON.stringify(e.cause),
      String(e.cause),
      JSON.stringify(Object.entries(e.cause as object)),
    ].join('\n');
    expect(dump).not.toContain(SECRET_AUTH);
    expect(dump).not.toContain('c2VjcmV0');
    expect((e.cause as { options?: unknown }).options).toBeUndefined();
    expect((e.cause as { request?: unknown }).request).toBeUndefined();
  });

  it('ignores a non-JSON or message-less error body and bounds a long message', () => {
    const plain = toAgoraError(httpError(502, '<html>bad gateway</html>'), {
      op: 'list-streams',
      requestId: 'r',
      bodyText: '<html>bad gateway</html>',
    }) as AgoraHttpError;
    expect(plain.agoraMessage).toBeUndefined();
    expect(plain.message).toBe('Agora list-streams failed: HTTP 502 (requestId r)');
    const long = `{"message":"${'x'.repeat(1000)}\\n"}`;
    const bounded = toAgoraError(httpError(400, long), {
      op: 'create-key',
      requestId: 'r',
      bodyText: long,
    }) as AgoraHttpError;
    expect(bounded.agoraMessage?.length).toBeLessThanOrEqual(301);
  });

  it('maps ky TimeoutError and a TimeoutError DOMException to AgoraTimeoutError', () => {
    const kyTimeout = new TimeoutError(new Request('https://api.agora.io/x'));
    const domTimeout = new DOMException('The operation timed out', 'TimeoutError');
    for (const source of [kyTimeout, domTimeout]) {
      const e = toAgoraError(source, { op: 'query-stream', requestId: 'r' });
      expect(e).toBeInstanceOf(AgoraTimeoutError);
      expect(e).toMatchObject({ retryable: true, requestId: 'r', name: 'AgoraTimeoutError' });
    }
  });

  it("maps undici's fetch failure to AgoraNetworkError with the system code", () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    const e = toAgoraError(refused, { op: 'delete-key', requestId: 'r' });
    expect(e).toBeInstanceOf(AgoraNetworkError);
    expect(e).toMatchObject({ code: 'ECONNREFUSED', retryable: true });
    expect(e.message).toBe('Agora delete-key failed: ECONNREFUSED (requestId r)');
    expect(e.cause).toBe(refused);
  });

  it('maps undici connect/headers timeouts to AgoraTimeoutError', () => {
    const slow = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    });
    expect(toAgoraError(slow, { op: 'delete-key', requestId: 'r' })).toBeInstanceOf(
      AgoraTimeoutError,
    );
  });

  it("maps the caller's abort to a retryable AgoraAbortedError", () => {
    const reason = new DOMException('This operation was aborted', 'AbortError');
    expect(toAgoraError(reason, { op: 'disconnect', requestId: 'r' })).toBeInstanceOf(
      AgoraAbortedError,
    );
    const custom = toAgoraError('shutting down', {
      op: 'disconnect',
      requestId: 'r',
      aborted: true,
    });
    expect(custom).toBeInstanceOf(AgoraAbortedError);
    expect(custom.retryable).toBe(true);
  });

  it('passes Agora errors through and wraps unknowns as retryable AgoraError', () => {
    const own = new AgoraResponseError({
      op: 'query-key',
      status: 200,
      requestId: 'r',
      detail: 'x',
    });
    expect(toAgoraError(own, { op: 'query-key', requestId: 'other' })).toBe(own);
    const odd = toAgoraError(new RangeError('boom'), { op: 'query-key', requestId: 'r' });
    expect(odd.constructor).toBe(AgoraError);
    expect(odd).toMatchObject({ name: 'AgoraError', retryable: true });
    expect(odd.message).toContain('RangeError: boom');
  });
});

describe('guards', () => {
  it('recognise every class and classify retryability', () => {
    const errors = [
      new AgoraHttpError({ op: 'delete-key', status: 503, requestId: 'r' }),
      new AgoraNetworkError({ op: 'delete-key', requestId: 'r' }),
      new AgoraTimeoutError({ op: 'delete-key', requestId: 'r' }),
      new AgoraAbortedError({ op: 'delete-key', requestId: 'r' }),
      new AgoraResponseError({ op: 'delete-key', status: 200, requestId: 'r', detail: 'd' }),
      new InvalidArgumentError('sid', 'bad sid'),
    ];
    expect(errors.every(isAgoraError)).toBe(true);
    expect(errors.map(isRetryableError)).toEqual([true, true, true, true, false, false]);
    expect(errors.map((e) => e.name)).toEqual([
      'AgoraHttpError',
      'AgoraNetworkError',
      'AgoraTimeoutError',
      'AgoraAbortedError',
      'AgoraResponseError',
      'InvalidArgumentError',
    ]);
    expect(isAgoraError(new Error('x'))).toBe(false);
    expect(isRetryableError(new Error('unknown'))).toBe(true);
    expect(isRetryableError({ retryable: false })).toBe(false);
  });
});

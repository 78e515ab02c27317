import { describe, expect, it } from 'vitest';
import { AgoraHttpError, AgoraNetworkError } from '../../../src/agora/errors.js';
import { InvalidPayloadError, describeError, toDeadLetterEntry } from '../../../src/jobs/index.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');

describe('describeError', () => {
  it('takes status, Agora message and request id from an Agora HTTP error', () => {
    const err = new AgoraHttpError({
      op: 'delete-key',
      status: 403,
      agoraMessage: 'Stream does not belong to this app ID.',
      requestId: '6d35d43f-f4c5-4b3a-9df4-8f0d7e1d5f0a',
    });
    expect(describeError(err)).toEqual({
      name: 'AgoraHttpError',
      status: 403,
      message: expect.stringContaining('Stream does not belong to this app ID.') as unknown,
      requestId: '6d35d43f-f4c5-4b3a-9df4-8f0d7e1d5f0a',
    });
  });

  it('reads the same fields from a look-alike (e.g. an error rebuilt from JSON)', () => {
    const lookAlike = {
      name: 'AgoraHttpError',
      message: 'HTTP 429',
      status: 429,
      agoraMessage: 'Request rate limit exceeded.',
      requestId: 'r1',
    };
    expect(describeError(lookAlike)).toEqual({
      name: 'AgoraHttpError',
      status: 429,
      message: 'HTTP 429: Request rate limit exceeded.',
      requestId: 'r1',
    });
  });

  it('copies nothing but name, status, message and request id', () => {
    const err = new AgoraNetworkError({
      op: 'disconnect',
      requestId: 'r2',
      code: 'ECONNRESET',
      cause: new Error('Authorization: Basic c2VjcmV0'),
    });
    const described = describeError(err);
    expect(Object.keys(described).sort()).toEqual(['message', 'name', 'requestId']);
    expect(JSON.stringify(described)).not.toContain('c2VjcmV0');
  });

  it('scrubs credentials a foreign message might quote', () => {
    const err = new Error(
      'failed: Authorization: Basic dXNlcjpzZWNyZXQ= for redis://:hunter2@cache:6379 token=abc123',
    );
    const { message } = describeError(err);
    expect(message).not.toMatch(/dXNlcjpzZWNyZXQ|hunter2|abc123/);
    expect(message).toContain('[redacted]');
  });

  it('describes thrown non-errors and bounds long messages', () => {
    expect(describeError('boom')).toEqual({ name: 'NonError', message: 'boom' });
    expect(describeError(new Error('x'.repeat(5000))).message.length).toBeLessThanOrEqual(1001);
  });
});

describe('toDeadLetterEntry', () => {
  it('keeps the original payload and progress, and summarises the ids', () => {
    const payload = {
      v: 1,
      region: 'na',
      appId: 'app1',
      sid: 's1',
      priority: 'normal',
      requestedAt: NOW.toISOString(),
    };
    const progress = { step: 'disconnect', streamKey: 'learned-key', revoked: { na: 'deleted' } };
    const err = new AgoraHttpError({ op: 'disconnect', status: 503, requestId: 'req-9' });

    const entry = toDeadLetterEntry({
      jobId: 'sid-app1-s1',
      data: { payload, progress, enqueueToken: 't' },
      err,
      failedStep: 'disconnect',
      attempts: 12,
      reason: 'attempts-exhausted',
      now: NOW,
      enqueuedAt: 1_772_358_000_000,
    });

    expect(entry).toEqual({
      v: 1,
      jobId: 'sid-app1-s1',
      payload,
      progress,
      sid: 's1',
      streamKey: 'learned-key',
      appId: 'app1',
      region: 'na',
      failedStep: 'disconnect',
      attempts: 12,
      reason: 'attempts-exhausted',
      error: {
        name: 'AgoraHttpError',
        status: 503,
        message: expect.stringContaining('HTTP 503') as unknown,
        requestId: 'req-9',
      },
      failedAt: '2026-03-01T10:00:00.000Z',
      enqueuedAt: new Date(1_772_358_000_000).toISOString(),
    });
    expect(JSON.parse(JSON.stringify(entry))).toEqual(entry);
  });

  it('stores a poison job as it was, with the validation error', () => {
    const data = { region: 42, junk: true };
    const entry = toDeadLetterEntry({
      jobId: 'poison',
      data,
      err: new InvalidPayloadError([{ field: 'region', message: 'region must be a string' }]),
      failedStep: 'validate',
      attempts: 1,
      reason: 'invalid-payload',
      now: NOW,
    });
    expect(entry.payload).toEqual(data);
    expect(entry.region).toBeUndefined();
    expect(entry.error).toEqual({
      name: 'InvalidPayloadError',
      message: 'invalid takedown payload: region: region must be a string',
    });
    expect(entry).not.toHaveProperty('enqueuedAt');
  });
});

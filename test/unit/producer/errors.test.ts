import { describe, expect, it } from 'vitest';
import {
  ValidationError,
  isConnectionError,
  RedisUnavailableError,
} from '../../../src/producer/errors.js';

describe('errors', () => {
  it('RedisUnavailableError names the URL and the reason', () => {
    const err = new RedisUnavailableError('redis://h:1', 'connect ECONNREFUSED', {
      cause: new Error('x'),
    });
    expect(err).toMatchObject({
      name: 'RedisUnavailableError',
      retryable: true,
      url: 'redis://h:1',
    });
    expect(err.message).toBe('Redis unreachable at redis://h:1: connect ECONNREFUSED');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('ValidationError lists every field in its message', () => {
    const err = new ValidationError([
      { field: 'region', message: 'region is required' },
      { field: 'sid', message: 'sid or streamKey is required' },
    ]);
    expect(err).toMatchObject({ name: 'ValidationError', retryable: false });
    expect(err.message).toBe(
      'invalid takedown request: region: region is required; sid: sid or streamKey is required',
    );
  });

  it('isConnectionError tells connection loss from other failures', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(isConnectionError(refused)).toBe(true);
    expect(
      isConnectionError(
        new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      ),
    ).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(
      isConnectionError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe(true);
    expect(isConnectionError(new Error('WRONGTYPE Operation against a key'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});

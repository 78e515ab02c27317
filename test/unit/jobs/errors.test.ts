import { describe, expect, it } from 'vitest';
import {
  InvalidPayloadError,
  PermanentJobError,
  RetryableJobError,
  VerifyFailedError,
} from '../../../src/jobs/index.js';

describe('job errors', () => {
  it('say by name and flag whether a retry can help, and keep their cause', () => {
    const cause = new Error('root');
    const cases: [Error & { retryable: boolean }, string, boolean][] = [
      [
        new InvalidPayloadError([{ field: 'sid', message: 'bad' }], { cause }),
        'InvalidPayloadError',
        false,
      ],
      [new PermanentJobError('stop', { cause }), 'PermanentJobError', false],
      [new RetryableJobError('later', { cause, retryAfterMs: 500 }), 'RetryableJobError', true],
      [new VerifyFailedError('still live', { cause, liveSids: ['s'] }), 'VerifyFailedError', true],
    ];
    for (const [error, name, retryable] of cases) {
      expect(error.name).toBe(name);
      expect(error.retryable).toBe(retryable);
      expect(error.cause).toBe(cause);
      expect(error).toBeInstanceOf(Error);
    }
  });

  it('carries retryAfterMs and the live SIDs', () => {
    expect(new RetryableJobError('later', { retryAfterMs: 250 }).retryAfterMs).toBe(250);
    expect(new RetryableJobError('later').retryAfterMs).toBeUndefined();
    const verify = new VerifyFailedError('x', { liveSids: ['a', 'b'] });
    expect(verify).toBeInstanceOf(RetryableJobError);
    expect(verify.liveSids).toEqual(['a', 'b']);
  });
});

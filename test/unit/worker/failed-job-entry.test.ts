import { describe, expect, it } from 'vitest';
import { deadLetterJobId } from '../../../src/worker/index.js';
import {
  errorFromFailedReason,
  failedJobReason,
  failedStepOf,
} from '../../../src/worker/failed-job-entry.js';

describe('failed-set helpers', () => {
  it('reads status and request id back out of an Agora error message', () => {
    const err = errorFromFailedReason(
      'Agora disconnect failed: HTTP 503 "Service unavailable." (requestId 1b2c-3d)',
    );
    expect(err).toMatchObject({ name: 'AgoraHttpError', status: 503, requestId: '1b2c-3d' });
    expect(err.message).toBe(
      'Agora disconnect failed: HTTP 503 "Service unavailable." (requestId 1b2c-3d)',
    );
    const plain = errorFromFailedReason('boom');
    expect(plain.name).toBe('Error');
    expect('status' in plain).toBe(false);
  });

  it('names the reason a job sits in the failed set', () => {
    const opts = { attempts: 3 };
    expect(
      failedJobReason({
        failedReason: 'job stalled more than allowable limit',
        attemptsMade: 0,
        opts,
      }),
    ).toBe('stalled');
    expect(
      failedJobReason({
        failedReason: 'invalid takedown payload: region: …',
        attemptsMade: 1,
        opts,
      }),
    ).toBe('invalid-payload');
    expect(failedJobReason({ failedReason: 'HTTP 503', attemptsMade: 3, opts })).toBe(
      'attempts-exhausted',
    );
    expect(failedJobReason({ failedReason: 'HTTP 400', attemptsMade: 1, opts })).toBe('permanent');
    expect(failedJobReason({ failedReason: 'x', attemptsMade: 1, opts: {} })).toBe(
      'attempts-exhausted',
    );
  });

  it('takes the failed step from the persisted progress', () => {
    expect(failedStepOf({ payload: {}, progress: { step: 'disconnect' } })).toBe('disconnect');
    expect(failedStepOf({ payload: {} })).toBe('resolve');
    expect(failedStepOf('junk')).toBe('resolve');
  });

  it('keeps DLQ ids equal to the source id unless BullMQ would refuse them', () => {
    expect(deadLetterJobId('sid-app-s1')).toBe('sid-app-s1');
    expect(deadLetterJobId('42')).toBe('n-42');
    expect(deadLetterJobId('42a')).toBe('42a');
  });
});

import { describe, expect, it } from 'vitest';
import { AgoraHttpError } from '../../../src/agora/errors.js';
import { ExtraRegionError, initialProgress } from '../../../src/jobs/index.js';
import type { TakedownPayload, TakedownProgress } from '../../../src/jobs/index.js';
import { deadLetterRegions } from '../../../src/worker/index.js';

const payload: TakedownPayload = {
  v: 1,
  region: 'na',
  appId: 'app1',
  streamKey: 'keyA',
  extraRegions: ['eu', 'ap'],
  priority: 'normal',
  requestedAt: '2026-01-01T00:00:00.000Z',
};

function dataWith(progress: Partial<TakedownProgress>): unknown {
  return { payload, progress: { ...initialProgress(), streamKey: 'keyA', ...progress } };
}

const outage = new AgoraHttpError({
  op: 'delete-key',
  status: 503,
  agoraMessage: 'Service overload.',
  requestId: 'r1',
});

describe('deadLetterRegions', () => {
  it('attempts exhausted in an extra region: that region failed with the last error, later ones pending', () => {
    const data = dataWith({ step: 'extra-regions', revoked: { na: 'deleted' } });
    expect(deadLetterRegions(payload, data, ['cn'], 'extra-regions', outage)).toEqual({
      na: 'revoked',
      eu: 'failed: delete-key HTTP 503 "Service overload."',
      ap: 'pending',
      cn: 'pending',
    });
  });

  it('a failure revoking the job region names the job region; finished and failed regions keep their answers', () => {
    expect(deadLetterRegions(payload, dataWith({}), [], 'revoke-key', outage)).toEqual({
      na: 'failed: delete-key HTTP 503 "Service overload."',
      eu: 'pending',
      ap: 'pending',
    });
    const data = dataWith({
      step: 'verify',
      revoked: { na: 'deleted', eu: 'not-found' },
      swept: ['eu'],
      failedRegions: { ap: 'list-streams HTTP 403 "Forbidden."' },
    });
    expect(deadLetterRegions(payload, data, [], 'verify', outage)).toEqual({
      na: 'revoked',
      eu: 'not-found',
      ap: 'failed: list-streams HTTP 403 "Forbidden."',
    });
  });

  it('ExtraRegionError carries its own answers; nothing without a payload or a key', () => {
    const err = new ExtraRegionError('x', { regions: { na: 'revoked', eu: 'failed: y' } });
    expect(deadLetterRegions(payload, {}, [], 'extra-regions', err)).toEqual({
      na: 'revoked',
      eu: 'failed: y',
    });
    expect(deadLetterRegions(undefined, {}, [], 'validate', outage)).toBeUndefined();
    const { streamKey: _k, ...sidOnly } = payload;
    expect(
      deadLetterRegions(
        { ...sidOnly, sid: 's1' },
        { progress: initialProgress() },
        [],
        'resolve',
        outage,
      ),
    ).toBeUndefined();
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TAKEDOWN_JOB_NAME,
  expiryJobId,
  legacyExpiryJobId,
  legacyKeyJobId,
  takedownJobId,
} from '../../../src/jobs/index.js';
import type { TakedownJobData } from '../../../src/jobs/index.js';
import { APP_ID, createHarness } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

const KEY = 'legacyKeyAbcdefghij123';

function stored(streamKey: string): TakedownJobData {
  return {
    enqueueToken: 'older-version',
    payload: {
      v: 1,
      region: 'na',
      appId: APP_ID,
      streamKey,
      priority: 'normal',
      requestedAt: new Date().toISOString(),
    },
  };
}

let h: ProducerHarness;
beforeEach(async () => {
  h = await createHarness('legacy-ids');
});
afterEach(async () => {
  await h.redis.del(`${h.prefix}:migration:key-fingerprint-ids-since`);
  await h.close();
});

describe('jobs queued under the old key-bearing ids (migration)', () => {
  it('a key-only request is a duplicate of the takedown an older version queued, within one idempotency window', async () => {
    const legacyId = legacyKeyJobId({ appId: APP_ID, streamKey: KEY });
    await h.queue.add(TAKEDOWN_JOB_NAME, stored(KEY), { jobId: legacyId });
    const producer = await h.producer();

    const one = await producer.enqueue({ region: 'na', streamKey: KEY });
    expect(one).toMatchObject({ jobId: legacyId, status: 'duplicate', state: 'waiting' });
    const many = await producer.enqueueMany([
      { region: 'na', streamKey: KEY },
      { region: 'na', streamKey: `${KEY}-new` },
    ]);
    expect(many.results[0]).toMatchObject({ jobId: legacyId, status: 'duplicate' });
    expect(many.results[1]).toMatchObject({
      jobId: takedownJobId({ appId: APP_ID, streamKey: `${KEY}-new` }),
      status: 'enqueued',
    });
    expect(await h.queue.getJob(takedownJobId({ appId: APP_ID, streamKey: KEY }))).toBeUndefined();
    // status --key finds it under the old id.
    expect(await producer.getStatus({ streamKey: KEY })).toMatchObject({ jobId: legacyId });
  });

  it('after the window the old id is no longer checked', async () => {
    const legacyId = legacyKeyJobId({ appId: APP_ID, streamKey: KEY });
    await h.queue.add(TAKEDOWN_JOB_NAME, stored(KEY), { jobId: legacyId });
    // The upgrade happened two windows ago.
    await h.redis.set(
      `${h.prefix}:migration:key-fingerprint-ids-since`,
      String(Date.now() - 2 * 3600 * 1000),
    );
    const producer = await h.producer({ idempotencyWindowS: 3600 });
    const result = await producer.enqueue({ region: 'na', streamKey: KEY });
    expect(result).toMatchObject({
      jobId: takedownJobId({ appId: APP_ID, streamKey: KEY }),
      status: 'enqueued',
    });
  });

  it('an old scheduled expiry is cancelled by key, and replaced (not doubled) by a new schedule', async () => {
    const ref = { appId: APP_ID, streamKey: KEY };
    await h.queue.add(TAKEDOWN_JOB_NAME, stored(KEY), {
      jobId: legacyExpiryJobId(ref),
      delay: 3_600_000,
    });
    const producer = await h.producer();
    expect(await producer.cancelExpiry({ streamKey: KEY })).toEqual({
      jobId: legacyExpiryJobId(ref),
      status: 'cancelled',
    });

    await h.queue.add(TAKEDOWN_JOB_NAME, stored(KEY), {
      jobId: legacyExpiryJobId(ref),
      delay: 3_600_000,
    });
    const scheduled = await producer.scheduleExpiry(
      { region: 'na', streamKey: KEY },
      new Date(Date.now() + 7_200_000),
    );
    expect(scheduled).toMatchObject({ jobId: expiryJobId(ref), status: 'rescheduled' });
    expect(await h.queue.getJob(legacyExpiryJobId(ref))).toBeUndefined();
    expect((await producer.listExpiries()).map((e) => e.jobId)).toEqual([expiryJobId(ref)]);
  });
});

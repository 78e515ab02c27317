import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expiryJobId, rateLimitKey, takedownJobId } from '../../../src/jobs/index.js';
import type { JobStatus, Producer } from '../../../src/producer/index.js';
import { APP_ID, createHarness, deadLetterFor } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

describe('producer.getStatus and stats', () => {
  let h: ProducerHarness;
  let p: Producer;
  beforeEach(async () => {
    h = await createHarness('status');
    p = await h.producer();
  });
  afterEach(async () => {
    await h.close();
  });

  it('finds one takedown by job id and by SID, with step, attempts and timestamps', async () => {
    const { jobId } = await p.enqueue({ region: 'na', sid: 'st-1', streamKey: 'sk-1' });
    const waiting = (await p.getStatus(jobId)) as JobStatus;
    expect(waiting).toMatchObject({ kind: 'job', jobId, state: 'waiting', attempts: 0 });
    expect(waiting.step).toBeUndefined();
    expect(waiting.payload).toMatchObject({ sid: 'st-1', streamKey: 'sk-1', region: 'na' });
    expect(Date.parse(waiting.timestamps.enqueuedAt ?? '')).not.toBeNaN();
    expect(await p.getStatus({ sid: 'st-1' })).toEqual(waiting);
    expect(
      await p.getStatus({ sid: 'st-1', appId: 'ffffffffffffffffffffffffffffffff' }),
    ).toBeNull();

    const { job, token } = await h.take();
    await job.updateData({ ...job.data, progress: { step: 'disconnect' } as never });
    const active = (await p.getStatus(jobId)) as JobStatus;
    expect(active).toMatchObject({ state: 'active', step: 'disconnect' });
    expect(active.timestamps.startedAt).toBeDefined();

    const result = { outcome: 'taken-down', disconnected: ['st-1'] };
    await job.moveToCompleted(result, token, false);
    const done = (await p.getStatus({ jobId })) as JobStatus;
    expect(done).toMatchObject({ state: 'completed', result });
    expect(done.timestamps.finishedAt).toBeDefined();
  });

  it('reports a failed job with its last error, and unknown ids as null', async () => {
    const { jobId } = await p.enqueue({ region: 'na', sid: 'st-fail' });
    await h.fail('Agora answered 401');
    expect(await p.getStatus(jobId)).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastError: { message: 'Agora answered 401' },
    });
    expect(await p.getStatus('sid-nothing-here')).toBeNull();
    expect(await p.getStatus('has:colon')).toBeNull();
  });

  it('a DLQ entry alone (main job gone) still reads as dead-lettered', async () => {
    const jobId = takedownJobId({ appId: APP_ID, sid: 'st-orphan' });
    await h.addDeadLetter(
      deadLetterFor(jobId, { region: 'na', sid: 'st-orphan' }, { failedStep: 'revoke-key' }),
    );
    expect(await p.getStatus(jobId)).toMatchObject({
      state: 'dead-lettered',
      step: 'revoke-key',
      attempts: 3,
      payload: { sid: 'st-orphan' },
      lastError: { status: 503 },
    });
  });

  it('a stream key finds its takedown and its scheduled expiry', async () => {
    const keyJob = takedownJobId({ appId: APP_ID, streamKey: 'sk-both' });
    const expJob = expiryJobId({ appId: APP_ID, streamKey: 'sk-both' });
    await p.scheduleExpiry({ region: 'na', streamKey: 'sk-both' }, new Date(Date.now() + 60_000));
    const onlyExpiry = (await p.getStatus({ streamKey: 'sk-both' })) as JobStatus;
    expect(onlyExpiry).toMatchObject({ jobId: expJob, state: 'delayed' });
    expect(Date.parse(onlyExpiry.timestamps.dueAt ?? '')).toBeGreaterThan(Date.now() + 50_000);

    await p.enqueue({ region: 'na', streamKey: 'sk-both' });
    const both = (await p.getStatus({ streamKey: 'sk-both' })) as JobStatus;
    expect(both).toMatchObject({
      jobId: keyJob,
      state: 'waiting',
      related: [{ jobId: expJob, state: 'delayed' }],
    });
    expect(await p.getStatus({ streamKey: 'sk-none' })).toBeNull();
  });

  it('stats counts both queues, pending expiries and limiter backlog', async () => {
    await p.enqueue({ region: 'na', sid: 'stat-1' });
    await p.enqueue({ region: 'na', sid: 'stat-2' });
    await p.scheduleExpiry({ region: 'na', streamKey: 'stat-k' }, new Date(Date.now() + 60_000));
    await h.addDeadLetter(deadLetterFor('sid-x-y', { region: 'na', sid: 'y' }));
    const now = Date.now();
    await h.redis.set(rateLimitKey(h.prefix, APP_ID, 'delete'), String(now + 5000));
    await h.redis.set(
      rateLimitKey(h.prefix, 'abcdefabcdefabcdefabcdefabcdefab', 'query'),
      String(now - 5000),
    );

    const s = await p.stats();
    expect(s.queues.takedown).toMatchObject({ prioritized: 2, delayed: 1, failed: 0 });
    const dlqTotal = Object.values(s.queues['takedown-dlq']).reduce((a, b) => a + b, 0);
    expect(dlqTotal).toBe(1);
    expect(s.scheduledExpiries).toBe(1);
    expect(s.limiter).toHaveLength(2);
    const del = s.limiter.find((l) => l.cls === 'delete');
    expect(del).toMatchObject({ appId: APP_ID });
    expect(del?.backlogMs).toBeGreaterThan(3000);
    expect(del?.backlogMs).toBeLessThanOrEqual(5000);
    expect(s.limiter.find((l) => l.cls === 'query')).toEqual({
      appId: 'abcdefabcdefabcdefabcdefabcdefab',
      cls: 'query',
      backlogMs: 0,
    });
  });

  it('asks for an App ID when none is configured', async () => {
    const bare = await h.producer({ defaultAppId: undefined });
    await expect(bare.getStatus({ sid: 'x' })).rejects.toMatchObject({
      name: 'ValidationError',
      fieldErrors: [{ field: 'appId' }],
    });
    await expect(bare.enqueue({ region: 'na', sid: 'x' })).rejects.toMatchObject({
      fieldErrors: [{ field: 'appId' }],
    });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takedownJobId } from '../../../src/jobs/index.js';
import { APP_ID, createHarness, deadLetterFor } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

describe('producer idempotency (keyed on SID)', () => {
  let h: ProducerHarness;
  beforeEach(async () => {
    h = await createHarness('idem');
  });
  afterEach(async () => {
    await h.close();
  });

  it('the same SID enqueued 5 times concurrently from two producers gives one job and four duplicates', async () => {
    const [a, b] = await Promise.all([h.producer(), h.producer()]);
    const request = { region: 'na', sid: 'sid-race-1', streamKey: 'key1' };
    const results = await Promise.all([
      a.enqueue(request),
      b.enqueue(request),
      a.enqueue(request),
      b.enqueue(request),
      a.enqueue({ ...request, reason: 'a different reason, same SID' }),
    ]);
    const jobId = takedownJobId({ appId: APP_ID, sid: 'sid-race-1' });
    expect(results.map((r) => r.jobId)).toEqual(Array(5).fill(jobId));
    expect(results.filter((r) => r.status === 'enqueued')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(4);
    for (const r of results) expect(r.state).toBe('waiting');
    const counts = await h.queue.getJobCounts();
    expect((counts['prioritized'] ?? 0) + (counts['waiting'] ?? 0)).toBe(1);
  });

  it('a duplicate carries the existing job state: waiting, completed, failed, dead-lettered', async () => {
    const p = await h.producer();
    const first = await p.enqueue({ region: 'na', sid: 's-state' });
    expect(first).toMatchObject({ status: 'enqueued', state: 'waiting' });
    expect(await p.enqueue({ region: 'eu', sid: 's-state' })).toEqual({
      jobId: first.jobId,
      status: 'duplicate',
      state: 'waiting',
      priority: 'normal',
      merged: [],
    });

    await h.complete();
    expect(await p.enqueue({ region: 'na', sid: 's-state' })).toMatchObject({
      status: 'duplicate',
      state: 'completed',
    });

    const failed = await p.enqueue({ region: 'na', sid: 's-fail' });
    await h.fail('permanent 403');
    expect(await p.enqueue({ region: 'na', sid: 's-fail' })).toMatchObject({
      jobId: failed.jobId,
      status: 'duplicate',
      state: 'failed',
    });

    await h.addDeadLetter(deadLetterFor(failed.jobId, { region: 'na', sid: 's-fail' }));
    expect(await p.enqueue({ region: 'na', sid: 's-fail' })).toMatchObject({
      status: 'duplicate',
      state: 'dead-lettered',
    });
  });

  it('reports an active job as active and keeps the stored payload of the first request', async () => {
    const p = await h.producer();
    const first = await p.enqueue({ region: 'na', sid: 's-active', reason: 'first' });
    const { job } = await h.take();
    expect(job.id).toBe(first.jobId);
    expect(await p.enqueue({ region: 'na', sid: 's-active', reason: 'second' })).toMatchObject({
      status: 'duplicate',
      state: 'active',
    });
    const stored = await h.queue.getJob(first.jobId);
    expect(stored?.data.payload.reason).toBe('first');
  });

  it('writes the job with the configured attempts, custom backoff, priority and retention', async () => {
    const p = await h.producer({ attempts: 7, idempotencyWindowS: 1234 });
    const { jobId } = await p.enqueue({ region: 'ap', streamKey: 'k-opts', priority: 'urgent' });
    expect(jobId).toBe(takedownJobId({ appId: APP_ID, streamKey: 'k-opts' }));
    const job = await h.queue.getJob(jobId);
    expect(job?.opts).toMatchObject({
      attempts: 7,
      backoff: { type: 'custom' },
      priority: 1,
      removeOnComplete: { age: 1234 },
      removeOnFail: false,
    });
    expect(job?.data.payload).toMatchObject({
      v: 1,
      region: 'ap',
      appId: APP_ID,
      priority: 'urgent',
    });
    expect(job?.data.progress).toBeUndefined();
  });

  it('rejects an invalid request naming each field and enqueues nothing', async () => {
    const p = await h.producer();
    const error = await p.enqueue({ region: 'mars', priority: 'asap' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationError' });
    const message = (error as Error).message;
    expect(message).toContain('region');
    expect(message).toContain('priority');
    expect(message).toContain('sid');
    const fields = (error as { fieldErrors: { field: string }[] }).fieldErrors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['region', 'priority', 'sid']));
    expect(await h.queue.count()).toBe(0);
  });

  it('an enqueue with delayMs is delayed', async () => {
    const p = await h.producer();
    const r = await p.enqueue({ region: 'na', sid: 's-delay' }, { delayMs: 60_000 });
    expect(r).toMatchObject({ status: 'enqueued', state: 'delayed' });
    expect(await h.queue.getJobState(r.jobId)).toBe('delayed');
  });
});

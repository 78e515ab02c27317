import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchKey, takedownJobId } from '../../../src/jobs/index.js';
import type { BatchProgress, BatchStatus } from '../../../src/producer/index.js';
import { APP_ID, createHarness } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

describe('producer.enqueueMany', () => {
  let h: ProducerHarness;
  beforeEach(async () => {
    h = await createHarness('many');
  });
  afterEach(async () => {
    await h.close();
  });

  const mixed = [
    { region: 'na', sid: 'm-1' },
    { region: 'moon', sid: 'm-2' },
    { region: 'eu', streamKey: 'mk-3', channel: 'ch' },
    { region: 'na' },
    { region: 'ap', sid: 'm-1', reason: 'same SID again in this batch' },
    { region: 'na', sid: 'm-6', priority: 'bulk' },
  ];

  it('enqueues the valid requests, rejects the invalid ones by field, and reports in-batch duplicates', async () => {
    const p = await h.producer();
    const progress: BatchProgress[] = [];
    const out = await p.enqueueMany(mixed, { chunkSize: 2, onProgress: (x) => progress.push(x) });

    expect(out.batchId).toMatch(/^b-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(out.counts).toEqual({ total: 6, enqueued: 3, duplicates: 1, rejected: 2 });
    expect(out.results.map((r) => [r.index, r.status])).toEqual([
      [0, 'enqueued'],
      [1, 'rejected'],
      [2, 'enqueued'],
      [3, 'rejected'],
      [4, 'duplicate'],
      [5, 'enqueued'],
    ]);
    const [r0, r1, , r3, r4] = out.results;
    expect(r1).toMatchObject({ errors: [{ field: 'region' }] });
    expect(r3).toMatchObject({ errors: [{ field: 'sid' }] });
    expect(r4).toMatchObject({
      jobId: takedownJobId({ appId: APP_ID, sid: 'm-1' }),
      state: 'waiting',
    });
    expect(r0).toMatchObject({ jobId: takedownJobId({ appId: APP_ID, sid: 'm-1' }) });

    // One report per chunk of 2 requests. Validation runs up to one chunk ahead of the writes.
    expect(progress).toHaveLength(3);
    progress.forEach((x, i) => {
      expect(x.total).toBe(6);
      expect(x.validated).toBeGreaterThanOrEqual(2 * (i + 1));
      expect(x.enqueued + x.duplicates + x.rejected).toBeLessThanOrEqual(x.validated);
      if (i > 0) expect(x.enqueued).toBeGreaterThanOrEqual(progress[i - 1]?.enqueued ?? 0);
    });
    expect(progress.at(-1)).toEqual({
      total: 6,
      validated: 6,
      enqueued: 3,
      duplicates: 1,
      rejected: 2,
    });

    expect(await h.queue.count()).toBe(3);
    const job = await h.queue.getJob(takedownJobId({ appId: APP_ID, sid: 'm-6' }));
    expect(job?.data.payload.batchId).toBe(out.batchId);
    expect(job?.opts.priority).toBe(10);
    expect(await h.redis.scard(batchKey(h.prefix, out.batchId))).toBe(3);
    expect(await h.redis.ttl(batchKey(h.prefix, out.batchId))).toBeGreaterThan(3000);
  });

  it('strict mode enqueues nothing when any request is invalid', async () => {
    const p = await h.producer();
    const progress: BatchProgress[] = [];
    const out = await p.enqueueMany(mixed, { strict: true, onProgress: (x) => progress.push(x) });
    expect(progress).toEqual([{ total: 6, validated: 6, enqueued: 0, duplicates: 0, rejected: 2 }]);
    expect(out.counts).toEqual({ total: 6, enqueued: 0, duplicates: 0, rejected: 2 });
    expect(out.results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await h.queue.count()).toBe(0);

    const valid = await p.enqueueMany([{ region: 'na', sid: 'ok-1' }], { strict: true });
    expect(valid.counts.enqueued).toBe(1);
  });

  it('reports jobs that already exist (from earlier batches) as duplicates with their state', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'd-1' });
    await h.complete();
    await p.enqueue({ region: 'na', sid: 'd-2' });
    const out = await p.enqueueMany(
      [
        { region: 'na', sid: 'd-1' },
        { region: 'na', sid: 'd-2' },
        { region: 'na', sid: 'd-3' },
      ],
      { batchId: 'sweep-42' },
    );
    expect(out.batchId).toBe('sweep-42');
    expect(out.results).toEqual([
      {
        index: 0,
        jobId: takedownJobId({ appId: APP_ID, sid: 'd-1' }),
        status: 'duplicate',
        state: 'completed',
        priority: 'normal',
        merged: [],
      },
      {
        index: 1,
        jobId: takedownJobId({ appId: APP_ID, sid: 'd-2' }),
        status: 'duplicate',
        state: 'waiting',
        priority: 'normal',
        merged: [],
      },
      {
        index: 2,
        jobId: takedownJobId({ appId: APP_ID, sid: 'd-3' }),
        status: 'enqueued',
        state: 'waiting',
        priority: 'normal',
      },
    ]);
  });

  it('a SID repeated within one chunk is enqueued once and reported as a duplicate', async () => {
    const p = await h.producer();
    const out = await p.enqueueMany([
      { region: 'na', sid: 'same' },
      { region: 'eu', sid: 'same', reason: 'again' },
    ]);
    expect(out.results.map((r) => r.status)).toEqual(['enqueued', 'duplicate']);
    expect(await h.queue.count()).toBe(1);
  });

  it('two producers racing on one batch enqueue each job once', async () => {
    const [a, b] = await Promise.all([h.producer(), h.producer()]);
    const requests = Array.from({ length: 300 }, (_, i) => ({ region: 'na', sid: `race-${i}` }));
    const [ra, rb] = await Promise.all([
      a.enqueueMany(requests, { chunkSize: 50 }),
      b.enqueueMany(requests, { chunkSize: 70 }),
    ]);
    expect(ra.counts.enqueued + rb.counts.enqueued).toBe(300);
    expect(ra.counts.duplicates + rb.counts.duplicates).toBe(300);
    for (let i = 0; i < 300; i++) {
      const statuses = [ra.results[i]?.status, rb.results[i]?.status].sort();
      expect(statuses).toEqual(['duplicate', 'enqueued']);
    }
    expect(await h.queue.count()).toBe(300);
  });

  it('batch status counts members by state, across calls that share the batch id', async () => {
    const p = await h.producer();
    await p.enqueueMany(
      [
        { region: 'na', sid: 'bs-1' },
        { region: 'na', sid: 'bs-2' },
        { region: 'xx', sid: 'bs-bad' },
      ],
      { batchId: 'b-status' },
    );
    await p.enqueueMany(
      [
        { region: 'na', sid: 'bs-3' },
        { region: 'na', sid: 'bs-4' },
      ],
      { batchId: 'b-status' },
    );
    await p.enqueue({ region: 'na', sid: 'bs-5' }, { batchId: 'b-status' });
    await h.complete();
    await h.fail();
    const { job } = await h.take();
    expect(job.id).toBeDefined();

    const status = (await p.getStatus({ batchId: 'b-status' })) as BatchStatus;
    expect(status).toMatchObject({
      kind: 'batch',
      batchId: 'b-status',
      total: 5,
      submitted: 5,
      rejected: 1,
      completedPercent: 20,
      counts: {
        completed: 1,
        failed: 1,
        active: 1,
        waiting: 2,
        delayed: 0,
        'dead-lettered': 0,
        unknown: 0,
      },
    });
    expect(Date.parse(status.createdAt ?? '')).not.toBeNaN();
    expect(await p.getStatus({ batchId: 'no-such-batch' })).toBeNull();
  });

  it('rejects a batch id with characters outside the safe set', async () => {
    const p = await h.producer();
    await expect(
      p.enqueueMany([{ region: 'na', sid: 'x' }], { batchId: 'a:b' }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      fieldErrors: [{ field: 'batchId' }],
    });
    expect(await h.queue.count()).toBe(0);
  });
});

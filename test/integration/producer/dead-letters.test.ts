import { UnrecoverableError } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Producer } from '../../../src/producer/index.js';
import { createHarness, deadLetterFor } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

describe('producer DLQ admin', () => {
  let h: ProducerHarness;
  let p: Producer;
  beforeEach(async () => {
    h = await createHarness('dlq');
    p = await h.producer();
  });
  afterEach(async () => {
    await h.close();
  });

  /** A takedown that failed for good, with its DLQ entry, as the worker leaves it. */
  async function deadLetter(sid: string, failedAt: string): Promise<string> {
    const { jobId } = await p.enqueue({ region: 'na', sid, streamKey: `key-of-${sid}` });
    const { job, token } = await h.take();
    // Progress the worker had persisted before giving up: a redrive must start from scratch.
    await job.updateData({ ...job.data, progress: { step: 'disconnect' } as never });
    await job.moveToFailed(new UnrecoverableError('403 forbidden'), token, false);
    await h.addDeadLetter(deadLetterFor(jobId, job.data.payload, { sid, failedAt }));
    return jobId;
  }

  it('lists entries newest first (with a limit) and shows one by id', async () => {
    const older = await deadLetter('d-old', '2026-01-01T00:00:00.000Z');
    const newer = await deadLetter('d-new', '2026-01-02T00:00:00.000Z');
    const list = await p.listDead();
    expect(list.map((e) => e.jobId)).toEqual([newer, older]);
    expect(list[0]).toMatchObject({
      sid: 'd-new',
      failedStep: 'disconnect',
      attempts: 3,
      error: {
        name: 'AgoraHttpError',
        status: 503,
        message: 'Service Unavailable',
        requestId: 'req-1',
      },
      failedAt: '2026-01-02T00:00:00.000Z',
    });
    expect((await p.listDead({ limit: 1 })).map((e) => e.jobId)).toEqual([newer]);
    expect(await p.showDead(older)).toMatchObject({ jobId: older, sid: 'd-old' });
    expect(await p.showDead('sid-nope-nope')).toBeNull();
    expect(await p.getStatus(older)).toMatchObject({
      kind: 'job',
      state: 'dead-lettered',
      lastError: { status: 503, requestId: 'req-1' },
    });
  });

  it('redrive re-runs from scratch: fresh job with the original payload, no progress, DLQ entry gone', async () => {
    const jobId = await deadLetter('d-redrive', '2026-01-01T00:00:00.000Z');
    const out = await p.redrive([jobId, 'sid-unknown-1']);
    expect(out).toEqual([
      { jobId, status: 'redriven' },
      { jobId: 'sid-unknown-1', status: 'not-found' },
    ]);
    expect(await h.queue.getJobState(jobId)).toBe('prioritized');
    const job = await h.queue.getJob(jobId);
    expect(job?.data.progress).toBeUndefined();
    expect(job?.data.payload).toMatchObject({ sid: 'd-redrive', streamKey: 'key-of-d-redrive' });
    expect(job?.attemptsMade).toBe(0);
    expect(await p.showDead(jobId)).toBeNull();
    expect(await p.listDead()).toEqual([]);
  });

  it('redrive all handles every entry; refusals are reported per id', async () => {
    const a = await deadLetter('d-a', '2026-01-01T00:00:00.000Z');
    const b = await deadLetter('d-b', '2026-01-01T00:00:01.000Z');
    // A poison entry: its payload would fail again.
    await h.addDeadLetter(deadLetterFor('sid-poison-1', { hello: 'world' }));
    const out = await p.redrive('all');
    expect(out).toHaveLength(3);
    expect(
      out
        .filter((r) => r.status === 'redriven')
        .map((r) => r.jobId)
        .sort(),
    ).toEqual([a, b].sort());
    const poison = out.find((r) => r.jobId === 'sid-poison-1');
    expect(poison).toMatchObject({ status: 'failed' });
    expect(poison?.message).toContain('purge');
    expect((await p.listDead()).map((e) => e.jobId)).toEqual(['sid-poison-1']);
  });

  it('redrive refuses an entry whose job is already queued again', async () => {
    const { jobId } = await p.enqueue({ region: 'na', sid: 'd-requeued' });
    await h.addDeadLetter(deadLetterFor(jobId, (await h.queue.getJob(jobId))?.data.payload));
    const [result] = await p.redrive([jobId]);
    expect(result).toMatchObject({ jobId, status: 'failed' });
    expect(result?.message).toContain('waiting');
    expect(await p.showDead(jobId)).not.toBeNull();
  });

  it('purge deletes the entry and the failed job, so the id is free again', async () => {
    const jobId = await deadLetter('d-purge', '2026-01-01T00:00:00.000Z');
    expect(await p.purge([jobId, 'sid-unknown-2'])).toEqual([
      { jobId, status: 'purged' },
      { jobId: 'sid-unknown-2', status: 'not-found' },
    ]);
    expect(await p.showDead(jobId)).toBeNull();
    expect(await h.queue.getJob(jobId)).toBeUndefined();
    expect(await p.getStatus(jobId)).toBeNull();
    expect(await p.enqueue({ region: 'na', sid: 'd-purge' })).toMatchObject({
      jobId,
      status: 'enqueued',
    });
  });

  it('purge all empties the DLQ', async () => {
    await deadLetter('d-p1', '2026-01-01T00:00:00.000Z');
    await deadLetter('d-p2', '2026-01-01T00:00:00.000Z');
    const out = await p.purge('all');
    expect(out.map((r) => r.status)).toEqual(['purged', 'purged']);
    expect(await p.listDead()).toEqual([]);
    expect(await h.queue.getFailedCount()).toBe(0);
    expect(await p.purge('all')).toEqual([]);
  });
});

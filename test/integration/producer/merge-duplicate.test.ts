import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BULL_PRIORITY, takedownJobId } from '../../../src/jobs/index.js';
import { APP_ID, createHarness } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

describe('a duplicate request merges into the existing takedown', () => {
  let h: ProducerHarness;
  beforeEach(async () => {
    h = await createHarness('merge');
  });
  afterEach(async () => {
    await h.close();
  });

  const storedPriority = async (jobId: string): Promise<number> =>
    Number(await h.redis.hget(h.queue.toKey(jobId), 'priority'));

  it('an urgent request for a waiting bulk job raises it at once: it runs before the other bulk jobs', async () => {
    const p = await h.producer();
    await p.enqueueMany(
      ['s1', 's2', 's3', 's4'].map((sid) => ({ region: 'na', sid, priority: 'bulk' })),
    );
    const result = await p.enqueue({ region: 'na', sid: 's4', priority: 'urgent' });
    const jobId = takedownJobId({ appId: APP_ID, sid: 's4' });
    expect(result).toEqual({
      jobId,
      status: 'duplicate',
      state: 'waiting',
      priority: 'urgent',
      merged: ['priority'],
    });
    expect(await storedPriority(jobId)).toBe(BULL_PRIORITY.urgent);
    const { job } = await h.take();
    expect(job.id).toBe(jobId);
    expect(job.data.payload.priority).toBe('urgent');
  });

  it('priority never drops: a bulk or normal request for an urgent job changes nothing', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'hot', priority: 'urgent' });
    for (const priority of ['bulk', 'normal', 'urgent']) {
      expect(await p.enqueue({ region: 'na', sid: 'hot', priority })).toMatchObject({
        status: 'duplicate',
        priority: 'urgent',
        merged: [],
      });
    }
    expect(await storedPriority(takedownJobId({ appId: APP_ID, sid: 'hot' }))).toBe(
      BULL_PRIORITY.urgent,
    );
  });

  it('a delayed job (backoff or park) raised to urgent is runnable now', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'parked', priority: 'bulk' });
    const { job, token } = await h.take();
    await job.moveToDelayed(Date.now() + 3_600_000, token); // parked for an hour
    const result = await p.enqueue({ region: 'na', sid: 'parked', priority: 'urgent' });
    expect(result).toMatchObject({
      status: 'duplicate',
      state: 'waiting',
      priority: 'urgent',
      merged: ['priority'],
    });
    const again = await h.take();
    expect(again.job.id).toBe(job.id);
  });

  it('an active job gets its priority field raised (the worker reads it) and stays active', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'running', priority: 'bulk' });
    const { job } = await h.take();
    const result = await p.enqueue({ region: 'na', sid: 'running', priority: 'urgent' });
    expect(result).toMatchObject({ state: 'active', priority: 'urgent', merged: ['priority'] });
    expect(await storedPriority(job.id as string)).toBe(BULL_PRIORITY.urgent);
  });

  it('a key for a queued SID-only takedown is added to its payload (it is revoked before the cut)', async () => {
    const p = await h.producer();
    const first = await p.enqueue({ region: 'na', sid: 'sid-only' });
    const result = await p.enqueue({ region: 'na', sid: 'sid-only', streamKey: 'key-added' });
    expect(result).toEqual({
      jobId: first.jobId,
      status: 'duplicate',
      state: 'waiting',
      priority: 'normal',
      merged: ['streamKey'],
    });
    const { job } = await h.take();
    expect(job.data.payload).toMatchObject({ sid: 'sid-only', streamKey: 'key-added' });
    expect(job.data.enqueueToken).toBeTypeOf('string');
  });

  it('a key for a takedown that is running or done gets its own takedown, and the answer says so', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'finished' });
    await h.complete();
    const afterDone = await p.enqueue({ region: 'na', sid: 'finished', streamKey: 'k2' });
    expect(afterDone).toMatchObject({ state: 'completed', merged: [] });
    expect(afterDone.keyTakedown?.jobId).toBe(takedownJobId({ appId: APP_ID, streamKey: 'k2' }));

    await h.complete(); // the k2 takedown, out of the way

    await p.enqueue({ region: 'na', sid: 'busy' });
    await h.take(); // active: its data is the worker's now
    const whileActive = await p.enqueue({
      region: 'na',
      sid: 'busy',
      streamKey: 'late-key',
      priority: 'urgent',
    });
    const keyJobId = takedownJobId({ appId: APP_ID, streamKey: 'late-key' });
    expect(whileActive).toMatchObject({
      status: 'duplicate',
      state: 'active',
      merged: ['priority'],
      keyTakedown: { jobId: keyJobId, status: 'enqueued', priority: 'urgent' },
    });
    const keyJob = await h.queue.getJob(keyJobId);
    // The SID stays in the key's takedown: the worker checks that key and SID belong together.
    expect(keyJob?.data.payload).toMatchObject({ sid: 'busy', streamKey: 'late-key' });
  });

  it('a key the job already has (given or learned) changes nothing', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'sk', streamKey: 'same' });
    const result = await p.enqueue({ region: 'na', sid: 'sk', streamKey: 'same' });
    expect(result).toMatchObject({ merged: [] });
    expect(result.keyTakedown).toBeUndefined();
  });

  it('two urgent requests at once from two producers: one upgrade, no lost key', async () => {
    const [a, b] = await Promise.all([h.producer(), h.producer()]);
    await a.enqueue({ region: 'na', sid: 'race', priority: 'bulk' });
    const results = await Promise.all([
      a.enqueue({ region: 'na', sid: 'race', priority: 'urgent' }),
      b.enqueue({ region: 'na', sid: 'race', priority: 'urgent', streamKey: 'race-key' }),
    ]);
    const upgrades = results.filter((r) => r.merged?.includes('priority'));
    expect(upgrades).toHaveLength(1);
    for (const r of results) expect(r.priority).toBe('urgent');
    const { job } = await h.take();
    expect(job.data.payload).toMatchObject({ priority: 'urgent', streamKey: 'race-key' });
  });

  it('batch rows merge per row, a second row in the same batch included', async () => {
    const p = await h.producer();
    await p.enqueue({ region: 'na', sid: 'b1', priority: 'bulk' });
    const batch = await p.enqueueMany([
      { region: 'na', sid: 'b1', priority: 'urgent' },
      { region: 'na', sid: 'b2', priority: 'bulk' },
      { region: 'na', sid: 'b2', priority: 'bulk', streamKey: 'b2-key' },
      { region: 'na', sid: 'b1', priority: 'bulk' },
    ]);
    expect(batch.results).toEqual([
      expect.objectContaining({
        index: 0,
        status: 'duplicate',
        priority: 'urgent',
        merged: ['priority'],
      }),
      expect.objectContaining({ index: 1, status: 'enqueued', priority: 'bulk' }),
      expect.objectContaining({ index: 2, status: 'duplicate', merged: ['streamKey'] }),
      expect.objectContaining({ index: 3, status: 'duplicate', priority: 'urgent', merged: [] }),
    ]);
    const b2 = await h.queue.getJob(takedownJobId({ appId: APP_ID, sid: 'b2' }));
    expect(b2?.data.payload.streamKey).toBe('b2-key');
  });
});

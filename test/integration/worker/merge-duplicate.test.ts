import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('a duplicate request merged into a queued takedown, end to end', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('an urgent request for a SID already queued as bulk overtakes the sweep (limiter on)', async () => {
    const BULK = 60;
    h = await createHarness({ simulator: { latencyMs: 5 } });
    const harness = h;
    const streams = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: BULK,
      reconnect: false,
    });
    const last = streams[BULK - 1];
    if (last === undefined) throw new Error('seed');
    // The limiter parks most of the sweep: the urgent job must not wait its bulk turn in line.
    await harness.startWorker({
      worker: { concurrency: 10 },
      takedown: { verify: false },
      limits: { create: 0, delete: 20, query: 40 },
    });
    await harness.producer.enqueueMany(
      streams.map((s) => ({ region: 'na', sid: s.sid, priority: 'bulk' })),
    );
    await waitFor(async () => ((await harness.queue.getCompletedCount()) >= 5 ? true : undefined), {
      timeoutMs: 30_000,
      what: '5 bulk jobs done',
    });
    const urgent = await harness.producer.enqueue({
      region: 'na',
      sid: last.sid,
      priority: 'urgent',
    });
    expect(urgent).toMatchObject({ status: 'duplicate', priority: 'urgent', merged: ['priority'] });
    await waitForFinished(harness.queue, BULK, 60_000);

    const urgentJob = await harness.queue.getJob(urgent.jobId);
    const urgentFinished = urgentJob?.finishedOn ?? Number.POSITIVE_INFINITY;
    const completed = await harness.queue.getCompleted(0, -1);
    const before = completed.filter(
      (j) => j.id !== urgent.jobId && (j.finishedOn ?? Number.POSITIVE_INFINITY) < urgentFinished,
    ).length;
    expect(await urgentJob?.getState()).toBe('completed');
    // Without the merge it keeps its bulk place: the last of the sweep.
    expect(before).toBeLessThan(BULK / 2);
  });

  it('a key added to a queued SID-only takedown is revoked even when the SID is between reconnects', async () => {
    h = await createHarness();
    const harness = h;
    const [stream] = await harness.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    // The SID the moderator saw has ended (the encoder is reconnecting under a new SID).
    const oldSid = 'sid-from-before-the-reconnect';
    const first = await harness.producer.enqueue({ region: 'na', sid: oldSid });
    const second = await harness.producer.enqueue({
      region: 'na',
      sid: oldSid,
      streamKey: stream.streamKey,
    });
    expect(second).toMatchObject({
      jobId: first.jobId,
      status: 'duplicate',
      merged: ['streamKey'],
    });

    await harness.startWorker();
    await waitForFinished(harness.queue, 1);
    const job = await harness.queue.getJob(first.jobId);
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toMatchObject({ outcome: 'taken-down', revoked: { na: 'deleted' } });
    const [key] = await harness.admin.keys({ appId: APP_ID, region: 'na' });
    expect(key?.revoked).toBe(true);
    // The key's live session is cut by verify (it lists the key's sessions after the revoke).
    expect(await harness.admin.streams({ streamKey: stream.streamKey })).toEqual([]);
  });
});

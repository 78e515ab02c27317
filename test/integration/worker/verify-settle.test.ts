import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('verify settle as a parked wait (issue 10)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('holds no worker slot: one slot cuts every stream before the first verify runs', async () => {
    h = await createHarness();
    const harness = h;
    const streams = await harness.admin.seed({ appId: APP_ID, region: 'na', count: 3 });
    await harness.startWorker({ worker: { concurrency: 1 }, takedown: { verifyDelayMs: 1000 } });
    const ids: string[] = [];
    for (const s of streams) {
      const res = await harness.producer.enqueue({
        region: 'na',
        sid: s.sid,
        streamKey: s.streamKey,
      });
      ids.push(res.jobId);
    }
    // While the first job settles it waits parked, its cursor saved at verify.
    await waitFor(async () => (await harness.queue.getDelayedCount()) >= 1, {
      what: 'a job parked for its settle',
    });
    const parked = (await harness.queue.getDelayed())[0];
    expect(parked?.data.progress).toMatchObject({ step: 'verify' });
    expect(parked?.data.progress?.verifyAt).toBeGreaterThan(Date.now() - 1000);

    expect(await waitForFinished(harness.queue, 3, 15_000)).toEqual({ completed: 3, failed: 0 });
    const calls = await harness.admin.calls();
    const firstVerify = calls.findIndex((c) => c.op === 'list-streams');
    const lastCut = calls.findLastIndex((c) => c.op === 'disconnect');
    // With the settle slept in the slot, job 2 would only start after job 1's verify.
    expect(firstVerify).toBeGreaterThan(lastCut);
    for (const id of ids) {
      const job = await harness.queue.getJob(id);
      // The run that completed is the only attempt counted; the parked runs used none.
      expect(job?.attemptsMade).toBe(1);
      expect(job?.returnvalue).toMatchObject({ verifyRounds: 1 });
    }
    expect(calls.filter((c) => c.op === 'list-streams')).toHaveLength(3);
  });

  it('resumes at verify after the settle, and a round that finds a live session settles again', async () => {
    h = await createHarness();
    const harness = h;
    const [stream, other] = await harness.admin.seed({ appId: APP_ID, region: 'na', count: 2 });
    if (stream === undefined || other === undefined) throw new Error('seed');
    // The first force-disconnect "succeeds" as already gone while the push stays live: only the
    // verify round after the settle can find and cut it.
    await harness.admin.setFaults({
      rules: [{ op: 'disconnect', sid: stream.sid, status: 404, count: 1 }],
    });
    const delayMs = 600;
    await harness.startWorker({ worker: { concurrency: 1 }, takedown: { verifyDelayMs: delayMs } });
    const { jobId } = await harness.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });
    await waitFor(async () => (await harness.queue.getDelayedCount()) === 1, {
      what: 'the job parked for its settle',
    });
    // The one slot is free meanwhile: another takedown runs in it.
    await harness.producer.enqueue({ region: 'na', sid: other.sid, streamKey: other.streamKey });

    expect(await waitForFinished(harness.queue, 2, 15_000)).toEqual({ completed: 2, failed: 0 });
    const job = await harness.queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.returnvalue).toMatchObject({ verifyRounds: 2 });
    expect((job?.returnvalue as { disconnected: string[] } | undefined)?.disconnected).toContain(
      stream.sid,
    );

    const all = await harness.admin.calls();
    const cuts = all.filter((c) => c.op === 'disconnect' && c.sid === stream.sid);
    expect(cuts.map((c) => c.status)).toEqual([404, 200]);
    const [cut1, cut2] = cuts.map((c) => c.time) as [number, number];
    // Two verify rounds for this key, one for the other takedown.
    const verifies = all.filter((c) => c.op === 'list-streams').map((c) => c.time);
    expect(verifies).toHaveLength(3);
    // Round 1 one settle after the first cut, before the cut it made; round 2 one settle later.
    expect(verifies.some((t) => t >= cut1 + delayMs - 50 && t < cut2)).toBe(true);
    expect(verifies.some((t) => t >= cut2 + delayMs - 50)).toBe(true);
    expect(verifies.filter((t) => t > cut1 && t < cut1 + delayMs - 50)).toEqual([]);
    // The other takedown's calls ran while this one was parked.
    const otherCut = (await harness.admin.calls()).find(
      (c) => c.op === 'disconnect' && c.sid === other.sid,
    );
    expect(otherCut?.time ?? Infinity).toBeLessThan(cut2);
    expect(await harness.admin.streams({ appId: APP_ID })).toEqual([]);
  });
});

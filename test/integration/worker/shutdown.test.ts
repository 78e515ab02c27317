import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('shutdown deadline (in process)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('cancels jobs still active at the deadline and hands them back without using an attempt', async () => {
    h = await createHarness();
    const harness = h;
    const streams = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 3,
      reconnect: true,
    });
    const slow = await harness.startWorker({ takedown: { verifyDelayMs: 1500 } });
    const ids: string[] = [];
    for (const s of streams) {
      ids.push(
        (await harness.producer.enqueue({ region: 'na', sid: s.sid, streamKey: s.streamKey }))
          .jobId,
      );
    }
    // Revoke + disconnect done (in a few ms each: the three are rarely active at the same poll),
    // they wait out the settle parked (no slot held)...
    await waitFor(async () => (await harness.queue.getDelayedCount()) === 3, {
      what: 'the three jobs parked for the settle',
    });
    // ...and then hang in the verify call, active well past the deadline.
    await harness.admin.setFaults({ latencyMs: 30_000 });
    await waitFor(async () => (await harness.queue.getActiveCount()) === 3, {
      what: '3 jobs active at verify',
    });

    const started = performance.now();
    const result = await slow.close({ deadlineMs: 300 });
    const tookMs = performance.now() - started;
    await slow.stop();
    expect(result).toEqual({ timedOut: true, abandoned: false });
    expect(tookMs).toBeLessThan(300 + 2000);
    for (const id of ids) {
      const job = await harness.queue.getJob(id);
      expect(['waiting', 'delayed', 'prioritized']).toContain(await job?.getState());
      expect(job?.attemptsMade).toBe(0);
      expect(job?.data.progress?.step).toBe('verify');
    }

    // Another worker picks them up at the verify step: no second revoke, no second disconnect.
    await harness.admin.setFaults({ latencyMs: null });
    await harness.startWorker({ takedown: { verifyDelayMs: 50 } });
    await waitForFinished(harness.queue, 3, 15_000);
    expect(await harness.queue.getCompletedCount()).toBe(3);
    const calls = await harness.admin.calls();
    expect(calls.filter((c) => c.op === 'delete-key' && c.status === 200)).toHaveLength(3);
    expect(calls.filter((c) => c.op === 'disconnect' && c.status === 200)).toHaveLength(3);
    expect(await harness.producer.listDead()).toEqual([]);
  });

  it('closes without a deadline once the active jobs are done', async () => {
    h = await createHarness();
    const harness = h;
    const [stream] = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 1,
      reconnect: true,
    });
    if (stream === undefined) throw new Error('seed');
    // Each call takes 300 ms: the job is active while close() waits.
    await harness.admin.setFaults({ latencyMs: 300 });
    const w = await harness.startWorker({ takedown: { verify: false } });
    const { jobId } = await harness.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });
    await waitFor(async () => (await harness.queue.getActiveCount()) === 1, {
      what: 'the active job',
    });
    expect(await w.close()).toEqual({ timedOut: false, abandoned: false });
    expect(await (await harness.queue.getJob(jobId))?.getState()).toBe('completed');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, TEST_ATTEMPTS, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('resume and rate-limited delays (issue 3, test 3)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('resumes at disconnect after three 503s: the key DELETE happens exactly once', async () => {
    h = await createHarness();
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.admin.setFaults({
      rules: [{ op: 'disconnect', sid: stream.sid, status: 503, count: 3 }],
    });
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });

    await waitForFinished(h.queue, 1, 15_000);
    const job = await h.queue.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    // BullMQ counts the successful attempt too: three failures + the one that completed.
    expect(job?.attemptsMade).toBe(4);
    const calls = await h.admin.calls();
    const deletes = calls.filter((c) => c.op === 'delete-key' && c.streamKey === stream.streamKey);
    expect(deletes.map((c) => c.status)).toEqual([200]);
    const disconnects = calls.filter((c) => c.op === 'disconnect' && c.sid === stream.sid);
    expect(disconnects.map((c) => c.status)).toEqual([503, 503, 503, 200]);
    // Key + SID: resolve makes no call, so every lookup is verify's (one list per round).
    expect(calls.filter((c) => c.op === 'list-streams' || c.op === 'query-key').length).toBe(
      (job?.returnvalue as { verifyRounds: number }).verifyRounds,
    );
    expect(await h.producer.listDead()).toEqual([]);
  });

  it('parks a job on 429 without using an attempt', async () => {
    h = await createHarness();
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.admin.setFaults({
      rules: [{ op: 'delete-key', streamKey: stream.streamKey, status: 429, count: 3 }],
    });
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });

    await waitForFinished(h.queue, 1, 20_000);
    const job = await h.queue.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    // Only the attempt that completed counts; the three parked runs used none.
    expect(job?.attemptsMade).toBe(1);
    expect(job?.data.rateLimited).toBe(3);
    const deletes = (await h.admin.calls()).filter((c) => c.op === 'delete-key');
    expect(deletes.map((c) => c.status)).toEqual([429, 429, 429, 200]);
  });

  it('stops parking after maxRateLimited 429s: further 429s use attempts and end in the DLQ', async () => {
    h = await createHarness();
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.admin.setFaults({
      rules: [{ op: 'delete-key', streamKey: stream.streamKey, status: 429 }],
    });
    await h.startWorker({ takedown: { maxRateLimited: 2 } });
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });

    await waitForFinished(h.queue, 1, 20_000);
    const job = await h.queue.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(TEST_ATTEMPTS);
    expect(job?.data.rateLimited).toBe(2);
    const deletes = (await h.admin.calls()).filter((c) => c.op === 'delete-key');
    expect(deletes).toHaveLength(2 + TEST_ATTEMPTS);
    const [entry] = await h.producer.listDead();
    expect(entry).toMatchObject({
      jobId,
      reason: 'attempts-exhausted',
      attempts: TEST_ATTEMPTS,
      failedStep: 'revoke-key',
    });
    expect(entry?.error.status).toBe(429);
    // Never disconnected: the key was never revoked.
    expect((await h.admin.calls()).some((c) => c.op === 'disconnect')).toBe(false);
  });
});

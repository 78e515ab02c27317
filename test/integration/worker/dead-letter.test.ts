import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TAKEDOWN_JOB_NAME, TAKEDOWN_QUEUE } from '../../../src/jobs/index.js';
import type { TakedownJobData } from '../../../src/jobs/index.js';
import { createDeadLetterWriter, createReconciler } from '../../../src/worker/index.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, TEST_ATTEMPTS, createHarness, testLogger, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('dead-letter queue (issue 3, tests 5 and 8)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('dead-letters 400/401/403 after one attempt and persistent 503 after TAKEDOWN_ATTEMPTS; redrive completes, purge empties', async () => {
    h = await createHarness();
    const streams = await h.admin.seed({ appId: APP_ID, region: 'na', count: 4, reconnect: true });
    const [s400, s401, s403, s503] = streams;
    if (s400 === undefined || s401 === undefined || s403 === undefined || s503 === undefined)
      throw new Error('seed');
    await h.admin.setFaults({
      rules: [
        {
          op: 'delete-key',
          streamKey: s400.streamKey,
          status: 400,
          message: 'Invalid stream key.',
        },
        {
          op: 'delete-key',
          streamKey: s401.streamKey,
          status: 401,
          message: 'Invalid authentication credentials.',
        },
        {
          op: 'delete-key',
          streamKey: s403.streamKey,
          status: 403,
          message: 'Forbidden for this project.',
        },
        { op: 'disconnect', sid: s503.sid, status: 503, message: 'Service unavailable.' },
      ],
    });
    await h.startWorker();
    const ids = new Map<string, string>();
    for (const s of streams) {
      ids.set(
        s.sid,
        (await h.producer.enqueue({ region: 'na', sid: s.sid, streamKey: s.streamKey })).jobId,
      );
    }
    await waitForFinished(h.queue, 4, 20_000);

    const calls = await h.admin.calls();
    const dead = new Map((await h.producer.listDead()).map((e) => [e.jobId, e]));
    expect(dead.size).toBe(4);
    for (const [s, status, message] of [
      [s400, 400, 'Invalid stream key.'],
      [s401, 401, 'Invalid authentication credentials.'],
      [s403, 403, 'Forbidden for this project.'],
    ] as const) {
      const jobId = ids.get(s.sid) ?? '';
      const job = await h.queue.getJob(jobId);
      expect(await job?.getState()).toBe('failed');
      expect(job?.attemptsMade).toBe(1);
      const failedCall = calls.find((c) => c.op === 'delete-key' && c.streamKey === s.streamKey);
      expect(
        calls.filter((c) => c.op === 'delete-key' && c.streamKey === s.streamKey),
      ).toHaveLength(1);
      const entry = dead.get(jobId);
      expect(entry).toMatchObject({
        jobId,
        sid: s.sid,
        streamKey: s.streamKey,
        reason: 'permanent',
        attempts: 1,
        failedStep: 'revoke-key',
        error: { status },
      });
      // The simulator echoes the X-Request-ID except on 401 (it answers before reading it).
      if (failedCall?.requestId === undefined)
        expect(entry?.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
      else expect(entry?.error.requestId).toBe(failedCall.requestId);
      expect(entry?.error.message).toContain(message);
      expect(entry?.payload).toMatchObject({ sid: s.sid, streamKey: s.streamKey, region: 'na' });
    }

    const id503 = ids.get(s503.sid) ?? '';
    const job503 = await h.queue.getJob(id503);
    expect(job503?.attemptsMade).toBe(TEST_ATTEMPTS);
    expect(calls.filter((c) => c.op === 'disconnect' && c.sid === s503.sid)).toHaveLength(
      TEST_ATTEMPTS,
    );
    const lastDisconnect = calls.filter((c) => c.op === 'disconnect' && c.sid === s503.sid).at(-1);
    expect(dead.get(id503)).toMatchObject({
      reason: 'attempts-exhausted',
      attempts: TEST_ATTEMPTS,
      failedStep: 'disconnect',
      error: { status: 503, requestId: lastDisconnect?.requestId },
    });
    // The key was revoked once, in the first attempt; the retries resumed at disconnect.
    expect(
      calls.filter(
        (c) => c.op === 'delete-key' && c.streamKey === s503.streamKey && c.status === 200,
      ),
    ).toHaveLength(1);

    // The fault clears: redrive re-runs the takedown and removes the DLQ entry.
    await h.admin.setFaults({ rules: null });
    expect(await h.producer.redrive([id503])).toEqual([{ jobId: id503, status: 'redriven' }]);
    await waitFor(async () => (await h?.queue.getJob(id503))?.finishedOn !== undefined, {
      timeoutMs: 15_000,
      what: 'redriven job',
    });
    expect(await (await h.queue.getJob(id503))?.getState()).toBe('completed');
    expect((await h.producer.listDead()).map((e) => e.jobId).sort()).toEqual(
      [ids.get(s400.sid), ids.get(s401.sid), ids.get(s403.sid)].sort(),
    );
    expect(await h.admin.streams({ appId: APP_ID, streamKey: s503.streamKey })).toEqual([]);

    const purged = await h.producer.purge('all');
    expect(purged.map((p) => p.status)).toEqual(['purged', 'purged', 'purged']);
    expect(await h.producer.listDead()).toEqual([]);
  });

  it('dead-letters a malformed job with the validation error and makes no API call', async () => {
    h = await createHarness();
    await h.startWorker();
    // Written straight into Redis, past the producer's validation.
    const junk = [
      { payload: { v: 1, region: 'mars', appId: APP_ID, sid: 'x' } },
      { payload: { v: 1, region: 'na', appId: APP_ID } },
      { something: 'else' },
    ] as unknown as TakedownJobData[];
    await h.queue.add(TAKEDOWN_JOB_NAME, junk[0] as TakedownJobData, {
      jobId: 'poison-region',
      attempts: 5,
    });
    await h.queue.add(TAKEDOWN_JOB_NAME, junk[1] as TakedownJobData, {
      jobId: 'poison-no-target',
      attempts: 5,
    });
    // No custom id: BullMQ numbers it, which the DLQ cannot reuse as an id (all digits).
    const numbered = await h.queue.add(TAKEDOWN_JOB_NAME, junk[2] as TakedownJobData, {
      attempts: 5,
    });
    await waitForFinished(h.queue, 3, 10_000);

    for (const id of ['poison-region', 'poison-no-target', numbered.id ?? '']) {
      const job = await h.queue.getJob(id);
      expect(await job?.getState()).toBe('failed');
      expect(job?.attemptsMade).toBe(1);
    }
    const dead = new Map((await h.producer.listDead()).map((e) => [e.jobId, e]));
    expect(dead.size).toBe(3);
    expect(dead.get('poison-region')).toMatchObject({
      reason: 'invalid-payload',
      attempts: 1,
      failedStep: 'validate',
      error: { name: 'InvalidPayloadError' },
      payload: junk[0]?.payload,
    });
    expect(dead.get('poison-region')?.error.message).toMatch(/region/);
    expect(dead.get('poison-no-target')?.error.message).toMatch(/sid|streamKey/);
    expect(dead.get(numbered.id ?? '')).toMatchObject({ reason: 'invalid-payload' });
    expect((await h.admin.stats()).calls).toBe(0);
  });

  it('reconciles failed jobs the DLQ lacks, once', async () => {
    h = await createHarness();
    // A bare BullMQ worker fails two jobs without writing any DLQ entry (a crash window).
    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const bare = new Worker(
      TAKEDOWN_QUEUE,
      (job) => {
        throw new Error(
          `Agora disconnect failed: HTTP 503 "Service unavailable." (requestId req-${job.id})`,
        );
      },
      { connection, prefix: h.prefix },
    );
    try {
      await h.queue.add(
        TAKEDOWN_JOB_NAME,
        { payload: { v: 1, region: 'na', appId: APP_ID, sid: 's1' } } as TakedownJobData,
        { jobId: 'lost-1' },
      );
      await h.queue.add(
        TAKEDOWN_JOB_NAME,
        {
          payload: { v: 1, region: 'na', appId: APP_ID, sid: 's2' },
          progress: { step: 'disconnect' },
        } as TakedownJobData,
        { jobId: 'lost-2' },
      );
      await waitForFinished(h.queue, 2, 10_000);
    } finally {
      await bare.close();
      await connection.quit();
    }
    expect(await h.producer.listDead()).toEqual([]);

    const reconcilerConnection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const { Queue } = await import('bullmq');
    const dlq = new Queue('takedown-dlq', { connection: reconcilerConnection, prefix: h.prefix });
    const reconciler = createReconciler({
      queue: h.queue,
      dlq,
      redis: reconcilerConnection,
      deadLetters: createDeadLetterWriter({ queue: dlq }),
      logger: testLogger(),
      intervalMs: 60_000,
      pageSize: 1,
    });
    try {
      expect(await reconciler.runOnce()).toMatchObject({ ran: true, added: 2, staleRemoved: 0 });
      expect(await reconciler.runOnce()).toMatchObject({ ran: true, added: 0, staleRemoved: 0 });
    } finally {
      await reconciler.close();
      await dlq.close();
      await reconcilerConnection.quit();
    }
    const dead = new Map((await h.producer.listDead()).map((e) => [e.jobId, e]));
    expect(dead.get('lost-1')).toMatchObject({
      reason: 'attempts-exhausted',
      failedStep: 'resolve',
      sid: 's1',
      error: { status: 503, requestId: 'req-lost-1' },
    });
    expect(dead.get('lost-2')).toMatchObject({ failedStep: 'disconnect', error: { status: 503 } });
  });

  it('the worker reconciles at start', async () => {
    h = await createHarness();
    const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
    const bare = new Worker(
      TAKEDOWN_QUEUE,
      () => {
        throw new Error('boom');
      },
      { connection, prefix: h.prefix },
    );
    try {
      await h.queue.add(
        TAKEDOWN_JOB_NAME,
        { payload: { v: 1, region: 'na', appId: APP_ID, sid: 's1' } } as TakedownJobData,
        { jobId: 'lost-1' },
      );
      await waitForFinished(h.queue, 1, 10_000);
    } finally {
      await bare.close();
      await connection.quit();
    }
    await h.startWorker();
    const harness = h;
    const [entry] = await waitFor(
      async () => {
        const dead = await harness.producer.listDead();
        return dead.length > 0 ? dead : undefined;
      },
      { what: 'the start-up reconcile' },
    );
    expect(entry).toMatchObject({ jobId: 'lost-1', error: { message: 'boom' } });
  });

  it('drops a DLQ entry whose takedown completed after all (crash after the entry was written)', async () => {
    h = await createHarness();
    const harness = h;
    const [done, failed] = await h.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 2,
      reconnect: false,
    });
    if (done === undefined || failed === undefined) throw new Error('seed');
    const worker = await h.startWorker();
    const ok = await h.producer.enqueue({ region: 'na', sid: done.sid, streamKey: done.streamKey });
    await waitForFinished(h.queue, 1, 10_000);
    expect(await h.queue.getJobState(ok.jobId)).toBe('completed');

    // The entries a processor would have written just before a crash: one for the job that
    // then completed on its stall re-run, one for a job that really is dead.
    const deadLetters = worker.deadLetters;
    const entry = (jobId: string, sid: string) => ({
      v: 1 as const,
      jobId,
      payload: { v: 1, region: 'na', appId: APP_ID, sid },
      sid,
      appId: APP_ID,
      region: 'na' as const,
      failedStep: 'disconnect',
      attempts: TEST_ATTEMPTS,
      reason: 'attempts-exhausted' as const,
      error: { name: 'AgoraHttpError', status: 503, message: 'HTTP 503' },
      failedAt: new Date().toISOString(),
    });
    await deadLetters.write(entry(ok.jobId, done.sid));
    await deadLetters.write(entry('sid-dead-1', failed.sid));
    expect((await harness.producer.listDead()).map((e) => e.jobId).sort()).toEqual(
      [ok.jobId, 'sid-dead-1'].sort(),
    );

    const summary = await worker.reconciler.runOnce();
    expect(summary.staleRemoved).toBe(1);
    expect((await harness.producer.listDead()).map((e) => e.jobId)).toEqual(['sid-dead-1']);
    expect((await worker.reconciler.runOnce()).staleRemoved).toBe(0);
  });
});

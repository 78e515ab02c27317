import { UnrecoverableError } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoggerLike } from '../../../src/agora/index.js';
import { TAKEDOWN_JOB_NAME, parseTakedownRequest, takedownJobId } from '../../../src/jobs/index.js';
import type { TakedownPayload } from '../../../src/jobs/index.js';
import type { Producer } from '../../../src/producer/index.js';
import {
  createDeadLetterWriter,
  createReconciler,
  deadLetterFromFailedJob,
} from '../../../src/worker/index.js';
import { createHarness } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

const silent: LoggerLike = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** The longest id the producer makes: a 64-character App ID, a 255-character SID. */
const LONG_APP_ID = 'A'.repeat(64);
const LONG_SID = `${'s'.repeat(250)}-long`;

function payloadFor(appId: string, sid: string): TakedownPayload {
  const parsed = parseTakedownRequest({ region: 'na', appId, sid, reason: 'dlq id test' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

interface Kind {
  what: string;
  /** Queues the takedown; resolves with its main-queue job id. */
  add(h: ProducerHarness, p: Producer): Promise<string>;
  /** Whether a redrive queues it again under the id its payload gives. */
  renamedOnRedrive: boolean;
}

const KINDS: Kind[] = [
  {
    what: 'an all-digit id (BullMQ numbered the job)',
    add: async (h) => {
      const job = await h.queue.add(TAKEDOWN_JOB_NAME, {
        enqueueToken: 'dlq-ids-test',
        payload: payloadFor('app1', 'numbered-sid'),
      });
      return job.id ?? '';
    },
    renamedOnRedrive: true,
  },
  {
    what: "an id with ':' (BullMQ accepts a:b:c in the main queue)",
    add: async (h) => {
      const job = await h.queue.add(
        TAKEDOWN_JOB_NAME,
        { enqueueToken: 'dlq-ids-test', payload: payloadFor('app1', 'colon-sid') },
        { jobId: 'ext:batch7:1' },
      );
      return job.id ?? '';
    },
    renamedOnRedrive: true,
  },
  {
    what: 'the longest id the producer makes (324 characters)',
    add: async (_h, p) =>
      (await p.enqueue({ region: 'na', appId: LONG_APP_ID, sid: LONG_SID })).jobId,
    renamedOnRedrive: false,
  },
];

describe('DLQ ids map the same way everywhere (writer, list, show, status, redrive, purge, reconciler)', () => {
  let h: ProducerHarness;
  let p: Producer;
  beforeEach(async () => {
    h = await createHarness('dlq-ids');
    p = await h.producer();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Fails the takedown for good and writes its entry with the worker's own DLQ writer. */
  async function deadLetter(kind: Kind): Promise<{ jobId: string; payload: TakedownPayload }> {
    const jobId = await kind.add(h, p);
    const { job, token } = await h.take();
    expect(job.id).toBe(jobId);
    await job.moveToFailed(new UnrecoverableError('Agora answered 403 (test)'), token, false);
    const failed = await h.queue.getJob(jobId);
    if (failed === undefined) throw new Error(`${jobId} vanished`);
    const writer = createDeadLetterWriter({ queue: h.dlq });
    expect(await writer.write(deadLetterFromFailedJob(failed, { now: new Date() }))).toBe(
      'written',
    );
    expect(await writer.has(jobId)).toBe(true);
    return { jobId, payload: job.data.payload };
  }

  async function reconcileOnce(): Promise<number> {
    const reconciler = createReconciler({
      queue: h.queue,
      dlq: h.dlq,
      redis: h.redis,
      deadLetters: createDeadLetterWriter({ queue: h.dlq }),
      logger: silent,
      intervalMs: 60_000,
    });
    try {
      return (await reconciler.runOnce()).added;
    } finally {
      await reconciler.close();
    }
  }

  it.each(KINDS)('$what: list, show, status and redrive find the entry', async (kind) => {
    const { jobId, payload } = await deadLetter(kind);
    if (kind.what.startsWith('the longest')) expect(jobId).toHaveLength(324);

    expect((await p.listDead()).map((e) => e.jobId)).toEqual([jobId]);
    expect(await p.showDead(jobId)).toMatchObject({ jobId, payload: { v: 1 } });
    expect(await p.getStatus(jobId)).toMatchObject({
      kind: 'job',
      jobId,
      state: 'dead-lettered',
      deadLetter: { jobId },
    });
    // The reconciler sees the entry: nothing to add.
    expect(await reconcileOnce()).toBe(0);

    const [result] = await p.redrive([jobId]);
    const requeuedAs = kind.renamedOnRedrive ? takedownJobId(payload) : jobId;
    expect(result).toMatchObject({ jobId, status: 'redriven' });
    expect(result?.requeuedAs).toBe(kind.renamedOnRedrive ? requeuedAs : undefined);
    expect(await p.showDead(jobId)).toBeNull();
    expect(await p.listDead()).toEqual([]);
    expect(await p.getStatus(requeuedAs)).toMatchObject({ state: 'waiting', attempts: 0 });
    if (kind.renamedOnRedrive) expect(await h.queue.getJob(jobId)).toBeUndefined();
  });

  it.each(KINDS)(
    '$what: purge --all removes the failed job too, so the reconciler writes nothing back',
    async (kind) => {
      const { jobId } = await deadLetter(kind);
      expect(await p.purge('all')).toEqual([{ jobId, status: 'purged' }]);
      expect(await h.queue.getFailedCount()).toBe(0);
      expect(await h.queue.getJob(jobId)).toBeUndefined();
      expect(await reconcileOnce()).toBe(0);
      expect(await p.listDead()).toEqual([]);
      expect(await p.getStatus(jobId)).toBeNull();
    },
  );

  it.each(KINDS)('$what: purge by id', async (kind) => {
    const { jobId } = await deadLetter(kind);
    expect(await p.purge([jobId])).toEqual([{ jobId, status: 'purged' }]);
    expect(await h.queue.getFailedCount()).toBe(0);
    expect(await p.listDead()).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

const BULK = 500;

describe('priorities (issue 3, test 10)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('an urgent takedown enqueued while a 500-job bulk batch drains finishes before 90% of the batch', async () => {
    // Some API latency so that the batch takes a while to drain.
    h = await createHarness({ simulator: { latencyMs: 10 } });
    const harness = h;
    const streams = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: BULK + 1,
      reconnect: false,
    });
    const urgentStream = streams[BULK];
    if (urgentStream === undefined) throw new Error('seed');
    await harness.startWorker({ worker: { concurrency: 10 }, takedown: { verify: false } });
    const batch = await harness.producer.enqueueMany(
      streams.slice(0, BULK).map((s) => ({ region: 'na', sid: s.sid, priority: 'bulk' })),
    );
    expect(batch.counts.enqueued).toBe(BULK);

    // Enqueue the urgent one once the batch is properly under way.
    const completedAtEnqueue = await waitFor(
      async () => {
        const n = await harness.queue.getCompletedCount();
        return n >= 50 ? n : undefined;
      },
      { timeoutMs: 30_000, what: '50 bulk jobs done' },
    );
    const urgent = await harness.producer.enqueue({
      region: 'na',
      sid: urgentStream.sid,
      priority: 'urgent',
    });
    await waitForFinished(harness.queue, BULK + 1, 60_000);

    const urgentJob = await harness.queue.getJob(urgent.jobId);
    const urgentFinished = urgentJob?.finishedOn ?? Number.POSITIVE_INFINITY;
    const completed = await harness.queue.getCompleted(0, -1);
    const bulkBefore = completed.filter(
      (j) => j.id !== urgent.jobId && (j.finishedOn ?? Number.POSITIVE_INFINITY) < urgentFinished,
    ).length;
    console.info(
      `[priority] urgent enqueued after ${completedAtEnqueue}/${BULK} bulk jobs had finished; ` +
        `it finished after ${bulkBefore}/${BULK} (${((100 * bulkBefore) / BULK).toFixed(1)}%)`,
    );
    expect(await urgentJob?.getState()).toBe('completed');
    expect(bulkBefore).toBeLessThan(BULK * 0.9);
    // Not just "before 90%": it overtook everything still waiting, give or take the jobs in flight.
    expect(bulkBefore).toBeLessThanOrEqual(completedAtEnqueue + 2 * 10 + 10);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { parseTakedownProgress } from '../../../src/jobs/index.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness } from './harness.js';
import type { Harness } from './harness.js';

describe('changing an expiry whose takedown has started', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('cancel refuses an expiry retrying its disconnect (key already revoked), and the takedown completes', async () => {
    h = await createHarness();
    const harness = h;
    const [stream] = await h.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 1,
      reconnect: false,
    });
    if (stream === undefined) throw new Error('seed');
    // The disconnect fails a few times: the job waits in `delayed` between attempts.
    await h.admin.setFaults({ rules: [{ op: 'disconnect', status: 503, count: 3 }] });
    await h.startWorker({ takedown: { backoffMs: 3000, backoffMaxMs: 6000 } });
    const scheduled = await h.producer.scheduleExpiry(
      { region: 'na', streamKey: stream.streamKey },
      new Date(Date.now() + 300),
    );

    await waitFor(
      async () => {
        const job = await harness.queue.getJob(scheduled.jobId);
        const progress = parseTakedownProgress(job?.data.progress);
        return progress?.revoked.na !== undefined && (await job?.getState()) === 'delayed';
      },
      { timeoutMs: 20_000, what: 'the expiry retrying after revoking the key' },
    );
    const [listed] = await harness.producer.listExpiries();
    expect(listed?.state).toBeDefined();

    const cancel = await harness.producer.cancelExpiry({ streamKey: stream.streamKey });
    expect(cancel.status).toBe('running');
    const moved = await harness.producer.scheduleExpiry(
      { region: 'na', streamKey: stream.streamKey },
      new Date(Date.now() + 3_600_000),
    );
    expect(moved.status).toBe('running');

    await waitFor(
      async () => (await harness.queue.getJob(scheduled.jobId))?.finishedOn !== undefined,
      { timeoutMs: 30_000, what: 'the expiry takedown to finish' },
    );
    const job = await harness.queue.getJob(scheduled.jobId);
    expect(await job?.getState()).toBe('completed');
    expect(await harness.admin.streams({ streamKey: stream.streamKey })).toEqual([]);
  });
});

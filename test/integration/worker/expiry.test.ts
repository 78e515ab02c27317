import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness } from './harness.js';
import type { Harness } from './harness.js';

/** First call of `op` on `streamKey` in the simulator's log (its arrival time, ms epoch). */
async function firstCallAt(h: Harness, op: string, streamKey: string): Promise<number | undefined> {
  const calls = await h.admin.calls();
  return calls.find((c) => c.op === op && c.streamKey === streamKey)?.time;
}

describe('scheduled expiry with a running worker (issue 3, test 11)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('runs at its time (±1 s) and takes the live stream down', async () => {
    h = await createHarness();
    const harness = h;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.startWorker();

    const dueAt = Date.now() + 2500;
    const scheduled = await h.producer.scheduleExpiry(
      { region: 'na', streamKey: stream.streamKey },
      new Date(dueAt),
    );
    expect(scheduled.status).toBe('scheduled');

    const revokedAt = await waitFor(() => firstCallAt(harness, 'delete-key', stream.streamKey), {
      timeoutMs: 10_000,
      what: 'the scheduled key revocation',
    });
    expect(Math.abs(revokedAt - dueAt)).toBeLessThanOrEqual(1000);
    await waitFor(
      async () => (await harness.queue.getJob(scheduled.jobId))?.finishedOn !== undefined,
      { timeoutMs: 10_000, what: 'the expiry job to finish' },
    );
    expect(await (await h.queue.getJob(scheduled.jobId))?.getState()).toBe('completed');
    expect(await h.admin.streams({ streamKey: stream.streamKey })).toEqual([]);
  });

  it('rescheduling moves it (nothing at the first time, the takedown at the second)', async () => {
    h = await createHarness();
    const harness = h;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.startWorker();

    const first = Date.now() + 1500;
    await h.producer.scheduleExpiry({ region: 'na', streamKey: stream.streamKey }, new Date(first));
    const second = Date.now() + 4000;
    const moved = await h.producer.scheduleExpiry(
      { region: 'na', streamKey: stream.streamKey },
      new Date(second),
    );
    expect(moved.status).toBe('rescheduled');

    const revokedAt = await waitFor(() => firstCallAt(harness, 'delete-key', stream.streamKey), {
      timeoutMs: 10_000,
      what: 'the rescheduled key revocation',
    });
    expect(revokedAt).toBeGreaterThanOrEqual(second - 1000);
    expect(Math.abs(revokedAt - second)).toBeLessThanOrEqual(1000);
  });

  it('cancelling removes it: the time passes and no API call is made', async () => {
    h = await createHarness();
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1, reconnect: true });
    if (stream === undefined) throw new Error('seed returned nothing');
    await h.startWorker();

    const scheduled = await h.producer.scheduleExpiry(
      { region: 'na', streamKey: stream.streamKey },
      new Date(Date.now() + 1000),
    );
    const cancelled = await h.producer.cancelExpiry({ streamKey: stream.streamKey });
    expect(cancelled).toMatchObject({ jobId: scheduled.jobId, status: 'cancelled' });

    await new Promise((r) => setTimeout(r, 2000));
    expect(await h.admin.calls()).toEqual([]);
    expect(await h.queue.getJob(scheduled.jobId)).toBeUndefined();
    expect(await h.admin.streams({ streamKey: stream.streamKey })).toHaveLength(1);
  });
});

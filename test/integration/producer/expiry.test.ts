import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expiryJobId } from '../../../src/jobs/index.js';
import { APP_ID, createHarness } from './producer-harness.js';
import type { ProducerHarness } from './producer-harness.js';

const KEY = 'sk_expiring';
const JOB_ID = expiryJobId({ appId: APP_ID, streamKey: KEY });

describe('producer scheduled expiry', () => {
  let h: ProducerHarness;
  beforeEach(async () => {
    h = await createHarness('expiry');
  });
  afterEach(async () => {
    await h.close();
  });

  async function dueAt(jobId: string): Promise<number> {
    const score = await h.redis.zscore(h.queue.toKey('delayed'), jobId);
    if (score === null) throw new Error(`${jobId} is not delayed`);
    return Math.floor(Number(score) / 0x1000);
  }

  it('schedules a delayed takedown of the key, due at the requested time', async () => {
    const p = await h.producer();
    const at = new Date(Date.now() + 90_000);
    const out = await p.scheduleExpiry({ region: 'eu', streamKey: KEY, sid: 'live-1' }, at);
    expect(out).toEqual({ jobId: JOB_ID, status: 'scheduled', dueAt: at.toISOString() });
    expect(await h.queue.getJobState(JOB_ID)).toBe('delayed');
    expect(Math.abs((await dueAt(JOB_ID)) - at.getTime())).toBeLessThan(1000);
    const job = await h.queue.getJob(JOB_ID);
    expect(job?.data.payload).toMatchObject({
      region: 'eu',
      streamKey: KEY,
      sid: 'live-1',
      appId: APP_ID,
    });
    expect(job?.delay).toBeGreaterThan(88_000);
    expect(job?.delay).toBeLessThanOrEqual(90_000);
  });

  it('scheduling the same key again moves it; a changed request replaces it; still one job', async () => {
    const p = await h.producer();
    await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000));
    const later = new Date(Date.now() + 3_600_000);
    expect(await p.scheduleExpiry({ region: 'na', streamKey: KEY }, later)).toMatchObject({
      status: 'rescheduled',
      dueAt: later.toISOString(),
    });
    expect(Math.abs((await dueAt(JOB_ID)) - later.getTime())).toBeLessThan(1000);

    const sooner = new Date(Date.now() + 30_000);
    expect(
      await p.scheduleExpiry({ region: 'na', streamKey: KEY, sid: 'new-sid' }, sooner),
    ).toMatchObject({ status: 'rescheduled' });
    expect(Math.abs((await dueAt(JOB_ID)) - sooner.getTime())).toBeLessThan(1000);
    expect((await h.queue.getJob(JOB_ID))?.data.payload.sid).toBe('new-sid');
    expect(await h.queue.getDelayedCount()).toBe(1);
  });

  it('an expiry that already ran is scheduled afresh; one running now is left alone', async () => {
    const p = await h.producer();
    await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000));
    await h.queue.promoteJobs();
    await h.complete();
    expect(await h.queue.getJobState(JOB_ID)).toBe('completed');
    expect(
      await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000)),
    ).toMatchObject({ status: 'scheduled' });
    expect(await h.queue.getJobState(JOB_ID)).toBe('delayed');

    await h.queue.promoteJobs();
    await h.take();
    expect(
      await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000)),
    ).toMatchObject({ jobId: JOB_ID, status: 'running', state: 'active' });
    expect(await p.cancelExpiry({ streamKey: KEY })).toEqual({
      jobId: JOB_ID,
      status: 'running',
      state: 'active',
    });
    expect(await h.queue.getJobState(JOB_ID)).toBe('active');
  });

  it('an expiry that started and waits in delayed (retry or park) is neither moved nor cancelled, and lists with its scheduled time', async () => {
    const p = await h.producer();
    const scheduledAt = new Date(Date.now() + 60_000);
    await p.scheduleExpiry({ region: 'na', streamKey: KEY }, scheduledAt);
    await h.queue.promoteJobs();
    const { job, token } = await h.take();
    // The worker revoked the key, then its disconnect waits for a retry 5 minutes out.
    await job.updateData({
      ...job.data,
      progress: {
        step: 'disconnect',
        streamKey: KEY,
        sids: ['live-sid'],
        revoked: { na: 'deleted' },
        disconnected: {},
        foundByVerify: [],
        verifyRounds: 0,
        resolvedLive: true,
        requestIds: [],
      },
    });
    const retryAt = Date.now() + 300_000;
    await job.moveToDelayed(retryAt, token);
    expect(await h.queue.getJobState(JOB_ID)).toBe('delayed');

    const moved = await p.scheduleExpiry(
      { region: 'na', streamKey: KEY },
      new Date(Date.now() + 7_200_000),
    );
    expect(moved).toEqual({
      jobId: JOB_ID,
      status: 'running',
      state: 'delayed',
      dueAt: scheduledAt.toISOString(),
    });
    expect(Math.abs((await dueAt(JOB_ID)) - retryAt)).toBeLessThan(1000); // not pushed later

    expect(await p.cancelExpiry({ streamKey: KEY })).toEqual({
      jobId: JOB_ID,
      status: 'running',
      state: 'delayed',
    });
    expect(await h.queue.getJobState(JOB_ID)).toBe('delayed'); // still there: it runs on

    const [listed] = await p.listExpiries();
    expect(listed).toMatchObject({
      jobId: JOB_ID,
      dueAt: scheduledAt.toISOString(),
      state: 'delayed',
    });
  });

  it('a parked expiry that never made progress still counts as started (attempts started)', async () => {
    const p = await h.producer();
    await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000));
    await h.queue.promoteJobs();
    const { job, token } = await h.take();
    await job.moveToDelayed(Date.now() + 60_000, token); // a limiter park: no attempt used
    expect(await p.cancelExpiry({ streamKey: KEY })).toMatchObject({ status: 'running' });
  });

  it('cancel removes a pending expiry; cancelling again or an unknown key is not-found', async () => {
    const p = await h.producer();
    await p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() + 60_000));
    expect(await p.cancelExpiry({ streamKey: KEY })).toEqual({
      jobId: JOB_ID,
      status: 'cancelled',
    });
    expect(await h.queue.getJob(JOB_ID)).toBeUndefined();
    expect(await p.cancelExpiry({ streamKey: KEY })).toEqual({
      jobId: JOB_ID,
      status: 'not-found',
    });
    expect(
      await p.cancelExpiry({
        streamKey: 'never-scheduled',
        appId: 'ffffffffffffffffffffffffffffffff',
      }),
    ).toMatchObject({
      status: 'not-found',
    });
  });

  it('lists pending expiries soonest first, and leaves out other delayed jobs', async () => {
    const p = await h.producer();
    const t = Date.now();
    await p.scheduleExpiry({ region: 'na', streamKey: 'k-late' }, new Date(t + 300_000));
    await p.scheduleExpiry(
      { region: 'eu', streamKey: 'k-soon', sid: 's-soon' },
      new Date(t + 60_000),
    );
    await p.scheduleExpiry({ region: 'ap', streamKey: 'k-mid' }, new Date(t + 120_000));
    await p.enqueue({ region: 'na', sid: 'retrying' }, { delayMs: 10_000 });

    const list = await p.listExpiries();
    expect(list.map((e) => e.streamKey)).toEqual(['k-soon', 'k-mid', 'k-late']);
    const [soon] = list;
    expect(soon).toEqual({
      jobId: expiryJobId({ appId: APP_ID, streamKey: 'k-soon' }),
      streamKey: 'k-soon',
      region: 'eu',
      appId: APP_ID,
      sid: 's-soon',
      dueAt: expect.any(String) as string,
    });
    // BullMQ stamps the due time itself (now + delay), so allow the few ms between the clocks.
    expect(Math.abs(Date.parse(soon?.dueAt ?? '') - (t + 60_000))).toBeLessThan(1000);
    expect((await p.stats()).scheduledExpiries).toBe(3);
  });

  it('rejects a time in the past and a request without a key, scheduling nothing', async () => {
    const p = await h.producer();
    await expect(
      p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date(Date.now() - 1000)),
    ).rejects.toMatchObject({ name: 'ValidationError', fieldErrors: [{ field: 'at' }] });
    await expect(
      p.scheduleExpiry({ region: 'na', streamKey: KEY }, new Date('nope')),
    ).rejects.toMatchObject({
      fieldErrors: [{ field: 'at' }],
    });
    const noKey = await p
      .scheduleExpiry({ region: 'na', sid: 'only-sid' }, new Date(Date.now() + 60_000))
      .catch((e: unknown) => e);
    expect(noKey).toMatchObject({ name: 'ValidationError' });
    expect((noKey as Error).message).toContain('streamKey');
    await expect(p.cancelExpiry({ streamKey: '' })).rejects.toMatchObject({
      name: 'ValidationError',
    });
    expect(await h.queue.count()).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetterEntry } from '../../../src/jobs/index.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('a request is checked before anything is revoked', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function deadLetter(jobId: string): Promise<DeadLetterEntry | undefined> {
    return (await h?.dlq.getJob(jobId))?.data;
  }

  it('a key that is not the SID’s key fails for good naming the mismatch (masked); nothing is revoked or cut', async () => {
    h = await createHarness();
    const [a, b] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 2, reconnect: true });
    if (a === undefined || b === undefined) throw new Error('seed');
    await h.startWorker();
    // B's session, but A's key (a typo, or a mixed-up row).
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: b.sid,
      streamKey: a.streamKey,
    });
    await waitForFinished(h.queue, 1);

    expect(await (await h.queue.getJob(jobId))?.getState()).toBe('failed');
    const entry = await deadLetter(jobId);
    expect(entry?.error.name).toBe('KeySidMismatchError');
    expect(entry?.error.message).toMatch(/do not belong together/);
    expect(entry?.error.message).not.toContain(a.streamKey);
    expect(entry?.error.message).not.toContain(b.streamKey);
    const calls = await h.admin.calls();
    expect(calls.filter((c) => c.op === 'delete-key' || c.op === 'disconnect')).toEqual([]);
    const keys = await h.admin.keys({ appId: APP_ID, region: 'na' });
    expect(keys.every((k) => !k.revoked)).toBe(true);
    expect(await h.admin.streams({ streamKey: b.streamKey })).toHaveLength(1);
  });

  it('a SID that is live in another region fails for good naming that region, never already-offline', async () => {
    h = await createHarness();
    const [s] = await h.admin.seed({ appId: APP_ID, region: 'eu', count: 1 });
    if (s === undefined) throw new Error('seed');
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: s.sid,
      streamKey: s.streamKey,
    });
    await waitForFinished(h.queue, 1);

    const entry = await deadLetter(jobId);
    expect(entry?.error.name).toBe('WrongRegionError');
    expect(entry?.error.message).toMatch(/live .*in region eu/);
    expect(await h.admin.streams({ streamKey: s.streamKey })).toHaveLength(1);
  });

  it('a SID not live anywhere still has its key revoked and the key’s sessions cut', async () => {
    h = await createHarness();
    const [s] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (s === undefined) throw new Error('seed');
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: 'an-old-session-of-the-key',
      streamKey: s.streamKey,
    });
    await waitForFinished(h.queue, 1);
    expect((await h.queue.getJob(jobId))?.returnvalue).toMatchObject({
      outcome: 'taken-down',
      revoked: { na: 'deleted' },
      foundByVerify: [s.sid],
    });
    expect(await h.admin.streams({ streamKey: s.streamKey })).toEqual([]);
  });

  it('a key-only request for a key unknown in its region says nothing-found with the answer per region', async () => {
    h = await createHarness();
    const [s] = await h.admin.seed({ appId: APP_ID, region: 'eu', count: 1 });
    if (s === undefined) throw new Error('seed');
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({ region: 'na', streamKey: s.streamKey });
    await waitForFinished(h.queue, 1);
    expect((await h.queue.getJob(jobId))?.returnvalue).toMatchObject({
      outcome: 'nothing-found',
      revoked: { na: 'not-found' },
    });
  });
});

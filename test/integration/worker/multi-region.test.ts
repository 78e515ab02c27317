import { afterEach, describe, expect, it } from 'vitest';
import type { Region } from '../../../src/agora/index.js';
import type { TakedownResult } from '../../../src/jobs/index.js';
import type { CallLogEntry } from '../../../src/simulator/index.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

/**
 * Multi-region keys (issue 9, build 5): a script-generated key works in every region, so a
 * takedown may have to revoke it and cut its sessions in several. The job's region goes first and
 * never waits for the others; each extra region is revoked, listed and cut; verify checks them all.
 */
describe('multi-region keys', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** One key live in each of `regions` (the first is where the request says it is). */
  async function livePushes(
    harness: Harness,
    regions: readonly Region[],
    keyRegions: readonly Region[] = regions,
  ): Promise<{ streamKey: string; sids: Map<Region, string> }> {
    const { streamKey } = await harness.admin.createKey({
      appId: APP_ID,
      regions: [...keyRegions],
    });
    const sids = new Map<Region, string>();
    for (const region of regions) {
      sids.set(region, await harness.admin.startEncoder({ appId: APP_ID, region, streamKey }));
    }
    return { streamKey, sids };
  }

  function seqOf(calls: readonly CallLogEntry[], match: (c: CallLogEntry) => boolean): number {
    const call = calls.find(match);
    if (call === undefined) throw new Error('expected call not in the simulator log');
    return call.seq;
  }

  async function resultOf(harness: Harness, jobId: string): Promise<TakedownResult> {
    const job = await harness.queue.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    return job?.returnvalue as TakedownResult;
  }

  it('the job region is revoked and cut before any call to an extra region; then each extra region is revoked and its sessions cut', async () => {
    h = await createHarness();
    const { streamKey, sids } = await livePushes(h, ['na', 'eu'], ['na', 'eu', 'ap']);
    const naSid = sids.get('na') as string;
    const euSid = sids.get('eu') as string;
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: naSid,
      streamKey,
      extraRegions: ['eu', 'ap'],
    });
    await waitForFinished(h.queue, 1);

    const calls = await h.admin.calls();
    const naCut = seqOf(calls, (c) => c.op === 'disconnect' && c.sid === naSid && c.status === 200);
    expect(seqOf(calls, (c) => c.op === 'delete-key' && c.region === 'na')).toBeLessThan(naCut);
    const firstExtra = seqOf(calls, (c) => c.region !== 'na');
    expect(firstExtra).toBeGreaterThan(naCut);
    // In each extra region: revoke, then list, then cut.
    const euRevoke = seqOf(calls, (c) => c.op === 'delete-key' && c.region === 'eu');
    const euList = seqOf(calls, (c) => c.op === 'list-streams' && c.region === 'eu');
    const euCut = seqOf(calls, (c) => c.op === 'disconnect' && c.sid === euSid);
    expect(euRevoke).toBeLessThan(euList);
    expect(euList).toBeLessThan(euCut);
    expect(calls.find((c) => c.op === 'disconnect' && c.sid === euSid)?.region).toBe('eu');
    expect(seqOf(calls, (c) => c.op === 'delete-key' && c.region === 'ap')).toBeGreaterThan(euCut);

    expect(await h.admin.streams({ streamKey })).toEqual([]);
    expect((await h.admin.keys({ appId: APP_ID })).filter((k) => !k.revoked)).toEqual([]);
    const result = await resultOf(h, jobId);
    expect(result).toMatchObject({
      outcome: 'taken-down',
      regions: { na: 'revoked', eu: 'revoked', ap: 'revoked' },
    });
    expect(Object.keys(result.regions)).toEqual(['na', 'eu', 'ap']);
    expect([...result.disconnected].sort()).toEqual([naSid, euSid].sort());
    // The encoders' reconnects were refused in both regions: nothing came back.
    const harness = h;
    await waitFor(async () => (await harness.admin.stats()).refusedReconnects >= 2, {
      what: 'both encoders refused on reconnect',
    });
    expect(await h.admin.streams({ streamKey })).toEqual([]);
  });

  it('a key-only request lists and cuts the key’s sessions in every region, and verify lists every region', async () => {
    h = await createHarness();
    const { streamKey } = await livePushes(h, ['na', 'eu', 'eu', 'ap']);
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      streamKey,
      extraRegions: 'eu, ap',
    });
    await waitForFinished(h.queue, 1);

    expect(await h.admin.streams({ streamKey })).toEqual([]);
    const result = await resultOf(h, jobId);
    expect(result.disconnected).toHaveLength(4);
    expect(result.regions).toEqual({ na: 'revoked', eu: 'revoked', ap: 'revoked' });
    const calls = await h.admin.calls();
    const lists = calls.filter((c) => c.op === 'list-streams');
    // resolve (na), the sweep (eu, ap), verify (na, eu, ap).
    expect(lists.map((c) => c.region)).toEqual(['na', 'eu', 'ap', 'na', 'eu', 'ap']);
  });

  it('verify finds a session still live in an extra region and cuts it there', async () => {
    h = await createHarness();
    const { streamKey, sids } = await livePushes(h, ['na', 'eu']);
    const euSid = sids.get('eu') as string;
    // The sweep's cut in eu is answered "already gone" while the push stays live: only verify,
    // listing eu too, can find it.
    await h.admin.setFaults({
      rules: [{ op: 'disconnect', region: 'eu', sid: euSid, status: 404, count: 1 }],
    });
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: sids.get('na') as string,
      streamKey,
      extraRegions: ['eu'],
    });
    await waitForFinished(h.queue, 1);

    const result = await resultOf(h, jobId);
    expect(result.verifyRounds).toBe(2);
    expect(result.disconnected).toContain(euSid);
    const cuts = (await h.admin.calls()).filter((c) => c.op === 'disconnect' && c.sid === euSid);
    expect(cuts.map((c) => [c.region, c.status])).toEqual([
      ['eu', 404],
      ['eu', 200],
    ]);
    expect(await h.admin.streams({ streamKey })).toEqual([]);
  });

  it('an extra region’s permanent error goes to the DLQ only after the job region is done, with each region’s answer', async () => {
    h = await createHarness();
    const { streamKey, sids } = await livePushes(h, ['na', 'eu'], ['na', 'eu', 'ap']);
    const naSid = sids.get('na') as string;
    await h.admin.setFaults({
      rules: [
        {
          op: 'delete-key',
          region: 'eu',
          status: 403,
          message: 'Stream does not belong to this app ID.',
        },
      ],
    });
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: naSid,
      streamKey,
      extraRegions: ['eu', 'ap'],
    });
    await waitForFinished(h.queue, 1);

    expect(await (await h.queue.getJob(jobId))?.getState()).toBe('failed');
    const entry = (await h.dlq.getJob(jobId))?.data;
    expect(entry).toMatchObject({
      reason: 'permanent',
      attempts: 1,
      failedStep: 'extra-regions',
      error: { name: 'ExtraRegionError' },
      regions: {
        na: 'revoked',
        eu: 'failed: delete-key HTTP 403 "Stream does not belong to this app ID."',
        ap: 'revoked',
      },
    });
    expect(entry?.error.message).toMatch(
      /in every region: eu: delete-key HTTP 403 "Stream does not belong/,
    );
    expect(entry?.error.message).toMatch(/region na is done/);
    expect(entry?.error.message).not.toContain(streamKey);

    const calls = await h.admin.calls();
    const naCut = seqOf(calls, (c) => c.op === 'disconnect' && c.sid === naSid && c.status === 200);
    expect(seqOf(calls, (c) => c.op === 'delete-key' && c.region === 'eu')).toBeGreaterThan(naCut);
    // The job region was verified before the job gave up; ap was still revoked.
    expect(calls.some((c) => c.op === 'list-streams' && c.region === 'na' && c.seq > naCut)).toBe(
      true,
    );
    expect(await h.admin.streams({ streamKey, region: 'na' })).toEqual([]);
    const keys = await h.admin.keys({ appId: APP_ID });
    expect(
      keys
        .filter((k) => k.revoked)
        .map((k) => k.region)
        .sort(),
    ).toEqual(['ap', 'na']);
    // eu is still live: the DLQ entry says so rather than a success.
    expect(await h.admin.streams({ streamKey, region: 'eu' })).toHaveLength(1);
  });

  it('a retry resumes in the failing extra region: done regions and cut sessions are not redone', async () => {
    h = await createHarness();
    const { streamKey, sids } = await livePushes(h, ['na', 'eu', 'ap']);
    await h.admin.setFaults({
      rules: [{ op: 'delete-key', region: 'ap', status: 503, count: 2 }],
    });
    await h.startWorker();
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: sids.get('na') as string,
      streamKey,
      extraRegions: ['eu', 'ap'],
    });
    await waitForFinished(h.queue, 1, 20_000);

    const result = await resultOf(h, jobId);
    expect(result.regions).toEqual({ na: 'revoked', eu: 'revoked', ap: 'revoked' });
    expect((await h.queue.getJob(jobId))?.attemptsMade).toBe(3);
    const calls = await h.admin.calls();
    const deletes = calls
      .filter((c) => c.op === 'delete-key')
      .map((c) => `${c.region}:${c.status}`);
    expect(deletes).toEqual(['na:200', 'eu:200', 'ap:503', 'ap:503', 'ap:200']);
    for (const [region, sid] of sids) {
      const cuts = calls.filter((c) => c.op === 'disconnect' && c.sid === sid);
      expect(cuts.map((c) => `${c.region}:${c.status}`)).toEqual([`${region}:200`]);
    }
    // The eu sessions were listed once by the sweep (then by verify), not again per retry.
    const euLists = calls.filter((c) => c.op === 'list-streams' && c.region === 'eu');
    expect(euLists).toHaveLength(2);
    expect(await h.admin.streams({ streamKey })).toEqual([]);
  });

  it('a duplicate request adds extra regions to a queued takedown; they are revoked and cut when it runs', async () => {
    h = await createHarness();
    const { streamKey, sids } = await livePushes(h, ['na', 'eu']);
    const naSid = sids.get('na') as string;
    const first = await h.producer.enqueue({ region: 'na', sid: naSid, streamKey });
    const second = await h.producer.enqueue({
      region: 'na',
      sid: naSid,
      extraRegions: ['eu', 'na'],
    });
    expect(second).toMatchObject({
      jobId: first.jobId,
      status: 'duplicate',
      state: 'waiting',
      merged: ['extraRegions'],
    });
    expect((await h.queue.getJob(first.jobId))?.data.payload.extraRegions).toEqual(['eu']);
    await h.startWorker();
    await waitForFinished(h.queue, 1);
    expect((await resultOf(h, first.jobId)).regions).toEqual({ na: 'revoked', eu: 'revoked' });
    expect(await h.admin.streams({ streamKey })).toEqual([]);
  });

  it('extra regions for a takedown that is past them get a takedown of their own for the key, or are reported unmerged', async () => {
    h = await createHarness();
    const harness = h;
    const { streamKey, sids } = await livePushes(harness, ['na', 'eu']);
    await harness.startWorker();
    // A SID-only takedown: it learns the key, and finishes in na alone.
    const bySid = await harness.producer.enqueue({ region: 'na', sid: sids.get('na') as string });
    await waitForFinished(harness.queue, 1);
    expect(await harness.admin.streams({ streamKey, region: 'eu' })).toHaveLength(1);

    const late = await harness.producer.enqueue({
      region: 'na',
      sid: sids.get('na') as string,
      extraRegions: ['eu'],
    });
    expect(late).toMatchObject({ jobId: bySid.jobId, status: 'duplicate', state: 'completed' });
    expect(late.merged).toEqual([]);
    const own = late.keyTakedown;
    expect(own?.status).toBe('enqueued');
    await waitForFinished(harness.queue, 2);
    expect((await resultOf(harness, own?.jobId as string)).regions).toMatchObject({
      eu: 'revoked',
    });
    await waitFor(async () => (await harness.admin.streams({ streamKey })).length === 0, {
      what: 'the eu session cut by the key’s own takedown',
    });

    // The key's own takedown is done too: a request for yet another region has nowhere to go.
    const again = await harness.producer.enqueue({
      region: 'na',
      streamKey,
      extraRegions: ['ap'],
    });
    expect(again).toMatchObject({
      jobId: own?.jobId,
      status: 'duplicate',
      merged: [],
      unmerged: { extraRegions: ['ap'] },
    });
    expect(again.keyTakedown).toBeUndefined();
  });
});

describe('AGORA_KEY_REGIONS ("What goes wrong today" #6)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a 4xx in a configured key region no longer leaves the job region’s session live', async () => {
    h = await createHarness();
    const { streamKey } = await h.admin.createKey({ appId: APP_ID, regions: ['na'] });
    const sid = await h.admin.startEncoder({ appId: APP_ID, region: 'na', streamKey });
    // eu does not know this App ID's key the way na does: a permanent answer.
    await h.admin.setFaults({
      rules: [{ op: 'delete-key', region: 'eu', status: 403, message: 'Forbidden.' }],
    });
    await h.startWorker({ keyRegions: ['eu'] });
    const { jobId } = await h.producer.enqueue({ region: 'na', sid, streamKey });
    await waitForFinished(h.queue, 1);

    // Before: disconnect waited for every key region, so the job went to the DLQ uncut.
    expect(await h.admin.streams({ streamKey })).toEqual([]);
    const entry = (await h.dlq.getJob(jobId))?.data;
    expect(entry?.regions).toEqual({
      na: 'revoked',
      eu: 'failed: delete-key HTTP 403 "Forbidden."',
    });
  });

  it('a 5xx outage in a configured key region does not hold the job region’s cut back', async () => {
    // Enough attempts that eu's outage outlasts none of them while the test looks.
    h = await createHarness({ attempts: 30 });
    const harness = h;
    const { streamKey } = await harness.admin.createKey({ appId: APP_ID, regions: ['na', 'eu'] });
    const sid = await harness.admin.startEncoder({ appId: APP_ID, region: 'na', streamKey });
    await harness.admin.setFaults({ rules: [{ op: 'delete-key', region: 'eu', status: 503 }] });
    await harness.startWorker({
      keyRegions: ['eu'],
      takedown: { backoffMs: 100, backoffMaxMs: 200 },
    });
    const { jobId } = await harness.producer.enqueue({ region: 'na', sid, streamKey });

    // Cut in na while eu keeps failing (the job retries in eu only).
    await waitFor(async () => (await harness.admin.streams({ streamKey })).length === 0, {
      what: 'the na session cut during the eu outage',
    });
    const job = await harness.queue.getJob(jobId);
    expect(await job?.getState()).not.toBe('completed');
    await harness.admin.setFaults({ rules: null });
    await waitForFinished(harness.queue, 1, 20_000);
    expect((await resultOf(harness, jobId)).regions).toEqual({ na: 'revoked', eu: 'revoked' });
    const naDeletes = (await harness.admin.calls()).filter(
      (c) => c.op === 'delete-key' && c.region === 'na',
    );
    expect(naDeletes).toHaveLength(1);
  });

  it('the key’s sessions in a configured key region are cut too, not only its revocation', async () => {
    h = await createHarness();
    const { streamKey } = await h.admin.createKey({ appId: APP_ID, regions: ['na', 'eu'] });
    const sid = await h.admin.startEncoder({ appId: APP_ID, region: 'na', streamKey });
    await h.admin.startEncoder({ appId: APP_ID, region: 'eu', streamKey });
    await h.startWorker({ keyRegions: ['eu'] });
    const { jobId } = await h.producer.enqueue({ region: 'na', sid, streamKey });
    await waitForFinished(h.queue, 1);

    // Before: the eu push stayed live while the result said taken-down.
    expect(await h.admin.streams({ streamKey })).toEqual([]);
    const result = await resultOf(h, jobId);
    expect(result.outcome).toBe('taken-down');
    expect(result.disconnected).toHaveLength(2);
  });

  async function resultOf(harness: Harness, jobId: string): Promise<TakedownResult> {
    const job = await harness.queue.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    return job?.returnvalue as TakedownResult;
  }
});

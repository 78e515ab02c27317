import { describe, expect, it } from 'vitest';
import { AgoraHttpError } from '../../../src/agora/errors.js';
import type { Region } from '../../../src/agora/types.js';
import {
  ExtraRegionError,
  PermanentJobError,
  ResumeLaterError,
  RetryableJobError,
  VerifyFailedError,
  initialProgress,
  parseTakedownProgress,
  runTakedown,
} from '../../../src/jobs/index.js';
import type {
  TakedownDeps,
  TakedownPayload,
  TakedownProgress,
  TakedownStep,
} from '../../../src/jobs/index.js';
import { FakeAgoraApi } from './support/fake-agora-api.js';

const APP = 'app1';

function payload(fields: Partial<TakedownPayload>): TakedownPayload {
  return {
    v: 1,
    region: 'na',
    appId: APP,
    priority: 'normal',
    requestedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

interface Harness {
  deps: TakedownDeps;
  persisted: TakedownProgress[];
  sleeps: number[];
  steps: TakedownStep[];
  /** The last persisted progress, as the worker would read it back from Redis (JSON round trip). */
  stored(): TakedownProgress | undefined;
}

function harness(
  api: FakeAgoraApi,
  options: {
    keyRegions?: Region[];
    verify?: Partial<TakedownDeps['verify']>;
    signal?: AbortSignal;
  } = {},
): Harness {
  const persisted: TakedownProgress[] = [];
  const sleeps: number[] = [];
  const steps: TakedownStep[] = [];
  // A clock that only sleeps move: settle deadlines come out exact.
  let clock = 1_000_000;
  const deps: TakedownDeps = {
    api,
    persist: (progress) => {
      persisted.push(structuredClone(progress));
      return Promise.resolve();
    },
    sleep: (ms) => {
      sleeps.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
    keyRegions: options.keyRegions ?? [],
    verify: { enabled: true, delayMs: 2000, maxRounds: 3, ...options.verify },
    onStep: (step) => steps.push(step),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return {
    deps,
    persisted,
    sleeps,
    steps,
    stored: () => {
      const last = persisted.at(-1);
      return last === undefined
        ? undefined
        : parseTakedownProgress(JSON.parse(JSON.stringify(last)));
    },
  };
}

/** A live push: key in the job's region, one session on it. */
function livePush(api: FakeAgoraApi, streamKey = 'keyA', channel = 'chan1'): string {
  api.addKey({ region: 'na', appId: APP, streamKey, channel });
  return api.startSession({ region: 'na', appId: APP, streamKey, channel });
}

describe('runTakedown ordering', () => {
  it('deletes the key before any disconnect and leaves nothing live even though encoders reconnect', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);

    const result = await runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps);

    const ops = api.ops();
    expect(ops.indexOf('delete-key:na')).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf('delete-key:na')).toBeLessThan(ops.indexOf('disconnect'));
    // Key and SID given: resolve asks nothing; verify lists the key's sessions afterwards.
    // The SID is checked against the key first (query class), before anything is revoked.
    expect(ops).toEqual(['query-stream', 'delete-key:na', 'disconnect', 'list-streams']);
    expect(api.liveSids({ streamKey: 'keyA' })).toEqual([]);
    expect(result).toMatchObject({
      outcome: 'taken-down',
      streamKey: 'keyA',
      revoked: { na: 'deleted' },
      disconnected: [sid],
      alreadyOffline: [],
      foundByVerify: [],
      verifyRounds: 1,
    });
    expect(result.requestIds).toEqual(api.calls.map((_, i) => `req-${i + 1}`));
    expect(h.steps).toEqual(['resolve', 'revoke-key', 'disconnect', 'verify']);
    expect(h.sleeps).toEqual([2000]);
  });

  it('with deferWaitsOverMs the settle is not slept: the deadline is saved with the last cut and the takedown asks to resume', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);
    h.deps.deferWaitsOverMs = 50;
    const start = h.deps.now?.() ?? 0;
    const p = payload({ sid, streamKey: 'keyA' });

    const err: unknown = await runTakedown(p, undefined, h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResumeLaterError);
    expect((err as ResumeLaterError).resumeAt).toBe(start + 2000);
    expect(h.sleeps).toEqual([]);
    // Saved with the disconnect: no extra save for the settle.
    expect(h.persisted).toHaveLength(2);
    expect(h.stored()).toMatchObject({ step: 'verify', verifyAt: start + 2000 });
    expect(api.ops()).toEqual(['query-stream', 'delete-key:na', 'disconnect']);

    // Too early (a promotion a little ahead of time): a short wait is slept, not parked again.
    await h.deps.sleep(1970);
    const result = await runTakedown(p, h.stored(), h.deps);
    expect(h.sleeps).toEqual([1970, 30]);
    expect(result).toMatchObject({ outcome: 'taken-down', verifyRounds: 1 });
    expect(api.ops()).toEqual(['query-stream', 'delete-key:na', 'disconnect', 'list-streams']);
  });

  it('the fake reconnects a session cut while its key exists (so the ordering test can fail)', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    await api.disconnectStream({ region: 'na', appId: APP, sid });
    expect(api.liveSids({ streamKey: 'keyA' })).toHaveLength(1);
    expect(api.liveSids({ streamKey: 'keyA' })).not.toContain(sid);
  });

  it('revokes and cuts in the job region first, then revokes each key region once and cuts its sessions there', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    api.addKey({ region: 'eu', appId: APP, streamKey: 'keyA', channel: 'chan1' });
    const euSid = api.startSession({
      region: 'eu',
      appId: APP,
      streamKey: 'keyA',
      channel: 'chan1',
    });
    const h = harness(api, { keyRegions: ['eu', 'na', 'ap', 'eu'] });

    const result = await runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps);

    const ops = api.calls.map((c) => `${c.op}:${c.region}`);
    expect(ops).toEqual([
      'query-stream:na',
      'delete-key:na',
      'disconnect:na', // the job's region is done before any extra region is asked
      'delete-key:eu',
      'list-streams:eu',
      'disconnect:eu',
      'delete-key:ap',
      'list-streams:ap',
      'list-streams:na', // verify: every region
      'list-streams:eu',
      'list-streams:ap',
    ]);
    expect(api.calls.find((c) => c.op === 'disconnect' && c.region === 'eu')?.sid).toBe(euSid);
    expect(result.revoked).toEqual({ na: 'deleted', eu: 'deleted', ap: 'not-found' });
    expect(result.regions).toEqual({ na: 'revoked', eu: 'revoked', ap: 'not-found' });
    expect(result.disconnected).toEqual([sid, euSid]);
    expect(result.outcome).toBe('taken-down');
    expect(h.steps).toEqual(['resolve', 'revoke-key', 'disconnect', 'extra-regions', 'verify']);
    expect(api.liveSids()).toEqual([]);
  });

  it('the request’s extraRegions come before AGORA_KEY_REGIONS, the job region never twice', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api, { keyRegions: ['eu', 'cn'] });

    const result = await runTakedown(
      payload({ sid, streamKey: 'keyA', extraRegions: ['ap', 'eu'] }),
      undefined,
      h.deps,
    );

    expect(api.ops().filter((op) => op.startsWith('delete-key'))).toEqual([
      'delete-key:na',
      'delete-key:ap',
      'delete-key:eu',
      'delete-key:cn',
    ]);
    expect(Object.keys(result.regions)).toEqual(['na', 'ap', 'eu', 'cn']);
  });

  it('a permanent error in an extra region is recorded, the other regions still run, then ExtraRegionError', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    api.addKey({ region: 'ap', appId: APP, streamKey: 'keyA', channel: 'chan1' });
    api.failNext('delete-key', 403, 1, 'eu');
    const h = harness(api);
    const p = payload({ sid, streamKey: 'keyA', extraRegions: ['eu', 'ap'] });

    const error: unknown = await runTakedown(p, undefined, h.deps).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(ExtraRegionError);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect((error as ExtraRegionError).regions).toEqual({
      na: 'revoked',
      eu: 'failed: delete-key HTTP 403 "injected"',
      ap: 'revoked',
    });
    // Only after the job region was cut and verified.
    expect(h.steps).toEqual(['resolve', 'revoke-key', 'disconnect', 'extra-regions', 'verify']);
    expect(api.liveSids()).toEqual([]);
    expect(h.stored()?.failedRegions).toEqual({ eu: 'delete-key HTTP 403 "injected"' });
    // A failed region is not verified (nor asked again).
    expect(api.calls.filter((c) => c.region === 'eu').map((c) => c.op)).toEqual(['delete-key']);
  });

  it('refuses to disconnect when the key is not revoked in the job region (forged progress)', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);
    const forged: TakedownProgress = {
      ...initialProgress(),
      step: 'disconnect',
      streamKey: 'keyA',
      sids: [sid],
    };

    await expect(
      runTakedown(payload({ sid, streamKey: 'keyA' }), forged, h.deps),
    ).rejects.toBeInstanceOf(PermanentJobError);
    expect(api.calls).toEqual([]);
  });
});

describe('runTakedown resume', () => {
  it('after disconnect failed 3 times, a resumed run does not delete the key again', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    api.failNext('disconnect', 503, 3);
    const h = harness(api);
    const p = payload({ sid, streamKey: 'keyA' });

    for (let attempt = 1; attempt <= 3; attempt++) {
      const error: unknown = await runTakedown(p, h.stored(), h.deps).then(
        () => undefined,
        (err: unknown) => err,
      );
      // API errors propagate unchanged: the worker classifies them.
      expect(error).toBeInstanceOf(AgoraHttpError);
      expect((error as AgoraHttpError).status).toBe(503);
      expect(h.stored()?.step).toBe('disconnect');
    }
    const result = await runTakedown(p, h.stored(), h.deps);

    expect(api.ops().filter((op) => op.startsWith('delete-key'))).toEqual(['delete-key:na']);
    // Key and SID given: resolve asks nothing, so the only listing is verify's.
    expect(api.ops().filter((op) => op === 'query-key' || op === 'list-streams')).toEqual([
      'list-streams',
    ]);
    expect(result.outcome).toBe('taken-down');
    expect(result.disconnected).toEqual([sid]);
    expect(api.liveSids()).toEqual([]);
  });

  it('a failure in the third key region resumes there without repeating the first two', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    api.failNext('delete-key', 500, 1, 'ap');
    const h = harness(api, { keyRegions: ['eu', 'ap'] });
    const p = payload({ sid, streamKey: 'keyA' });

    await expect(runTakedown(p, h.stored(), h.deps)).rejects.toBeInstanceOf(AgoraHttpError);
    expect(h.stored()).toMatchObject({
      step: 'extra-regions',
      revoked: { na: 'deleted', eu: 'not-found' },
      swept: ['eu'],
    });
    await runTakedown(p, h.stored(), h.deps);

    expect(api.ops().filter((op) => op.startsWith('delete-key'))).toEqual([
      'delete-key:na',
      'delete-key:eu',
      'delete-key:ap',
      'delete-key:ap',
    ]);
    expect(api.ops().filter((op) => op === 'disconnect')).toHaveLength(1);
  });

  it('persists after each region revoked and each SID cut, the last piece of a step carrying the next step', async () => {
    const api = new FakeAgoraApi();
    livePush(api);
    api.startSession({ region: 'na', appId: APP, streamKey: 'keyA', channel: 'chan1' });
    const h = harness(api, { keyRegions: ['eu'] });

    await runTakedown(payload({ streamKey: 'keyA' }), undefined, h.deps);

    const trail = h.persisted.map(
      (p) => `${p.step}|${Object.keys(p.revoked).join(',')}|${Object.keys(p.disconnected).length}`,
    );
    // No save for a bare step change or for `done`.
    expect(trail).toEqual([
      'revoke-key||0', // what resolve learned (the key's channel, its sessions)
      'disconnect|na|0', // the job region's revocation moves the cursor on
      'disconnect|na|1',
      'extra-regions|na|2', // the last SID moves the cursor on
      'extra-regions|na,eu|2', // eu revoked
      'verify|na,eu|2', // eu listed (nothing live): the last region moves the cursor on
    ]);
    expect(h.persisted[0]).toMatchObject({
      streamKey: 'keyA',
      channel: 'chan1',
      requestIds: ['req-1', 'req-2'],
    });
    expect(h.persisted[0]?.sids).toHaveLength(2);
  });

  it('key and SID with verify off: two saves, one per piece', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api, { verify: { enabled: false } });

    await runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps);

    expect(h.persisted.map((p) => p.step)).toEqual(['disconnect', 'verify']);
    expect(h.persisted[0]).toMatchObject({ revoked: { na: 'deleted' }, disconnected: {} });
    expect(h.persisted[1]?.disconnected).toEqual({ [sid]: 'disconnected' });
  });

  it('a failed last piece leaves the cursor on its own step', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    api.failNext('delete-key', 500, 1);
    const h = harness(api);
    const p = payload({ sid, streamKey: 'keyA' });

    await expect(runTakedown(p, h.stored(), h.deps)).rejects.toBeInstanceOf(AgoraHttpError);
    expect(h.persisted).toEqual([]); // resolve asked nothing, so nothing to keep

    api.failNext('disconnect', 500, 1);
    await expect(runTakedown(p, h.stored(), h.deps)).rejects.toBeInstanceOf(AgoraHttpError);
    expect(h.stored()).toMatchObject({ step: 'disconnect', revoked: { na: 'deleted' } });
    expect(h.stored()?.disconnected).toEqual({});

    const result = await runTakedown(p, h.stored(), h.deps);
    expect(result).toMatchObject({ outcome: 'taken-down', disconnected: [sid] });
    expect(api.ops()).toEqual([
      'query-stream',
      'delete-key:na', // 500
      'query-stream', // the key check again: nothing of it is kept
      'delete-key:na',
      'disconnect', // 500
      'disconnect',
      'list-streams',
    ]);
  });

  it('SID only: the key learned is kept, so a retry revokes it even if the SID went offline', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api, 'keyS', 'chanS');
    api.failNext('delete-key', 503, 1);
    const h = harness(api);
    const p = payload({ sid });

    await expect(runTakedown(p, h.stored(), h.deps)).rejects.toBeInstanceOf(AgoraHttpError);
    expect(h.stored()).toMatchObject({ step: 'revoke-key', streamKey: 'keyS', sids: [sid] });
    api.endSession(sid);

    const result = await runTakedown(p, h.stored(), h.deps);
    expect(api.ops().filter((op) => op === 'query-stream')).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'taken-down', revoked: { na: 'deleted' } });
    expect(api.hasKey({ region: 'na', appId: APP, streamKey: 'keyS' })).toBe(false);
  });

  it('a job run again after finishing repeats no revoke and no disconnect', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);
    const p = payload({ sid, streamKey: 'keyA' });
    const first = await runTakedown(p, undefined, h.deps);
    const opsBefore = api.ops().length;

    // `done` is not saved (the return value records it): a re-run resumes at verify.
    expect(h.stored()?.step).toBe('verify');
    const again = await runTakedown(p, h.stored(), h.deps);

    expect(api.ops().slice(opsBefore)).toEqual(['list-streams']);
    expect(again).toMatchObject({
      outcome: first.outcome,
      revoked: first.revoked,
      disconnected: first.disconnected,
    });
  });

  it('progress already at done returns its result without calling the API', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);
    const p = payload({ sid, streamKey: 'keyA' });
    const first = await runTakedown(p, undefined, h.deps);
    const stored = h.stored();
    if (stored === undefined) throw new Error('nothing persisted');
    const callsBefore = api.calls.length;

    const again = await runTakedown(p, { ...stored, step: 'done' }, h.deps);

    expect(api.calls).toHaveLength(callsBefore);
    expect(again).toMatchObject({
      outcome: first.outcome,
      revoked: first.revoked,
      disconnected: first.disconnected,
    });
  });
});

describe('runTakedown 404s', () => {
  it('treats a missing key and an offline SID as done, not as errors', async () => {
    const api = new FakeAgoraApi();
    const h = harness(api, { keyRegions: ['eu'] });

    const result = await runTakedown(
      payload({ sid: 'gone-sid', streamKey: 'keyA', channel: 'c' }),
      undefined,
      h.deps,
    );

    expect(result).toMatchObject({
      outcome: 'already-offline',
      revoked: { na: 'not-found', eu: 'not-found' },
      disconnected: [],
      alreadyOffline: ['gone-sid'],
    });
    expect(api.ops()).toEqual([
      ...Array<string>(4).fill('query-stream'), // its region, then the three others
      'delete-key:na',
      'disconnect',
      'delete-key:eu',
      'list-streams', // eu's sessions
      'list-streams', // verify: na
      'list-streams', // verify: eu
    ]);
  });
});

describe('runTakedown resolve', () => {
  it('SID only: learns key and channel from the stream, then revokes before cutting', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api, 'keyS', 'chanS');
    const h = harness(api);

    const result = await runTakedown(payload({ sid }), undefined, h.deps);

    expect(api.ops()).toEqual(['query-stream', 'delete-key:na', 'disconnect', 'list-streams']);
    expect(api.calls.at(-1)).toMatchObject({ op: 'list-streams', channel: 'chanS' });
    expect(result).toMatchObject({ outcome: 'taken-down', streamKey: 'keyS', disconnected: [sid] });
    expect(api.hasKey({ region: 'na', appId: APP, streamKey: 'keyS' })).toBe(false);
  });

  it('SID only and not live: already-offline, nothing deleted, no verify', async () => {
    const api = new FakeAgoraApi();
    const h = harness(api);

    const result = await runTakedown(payload({ sid: 'not-live' }), undefined, h.deps);

    // Not live in its region, nor in any other: nothing to do.
    expect(api.ops()).toEqual(Array<string>(4).fill('query-stream'));
    expect(result).toEqual({
      outcome: 'already-offline',
      revoked: {},
      regions: {},
      disconnected: [],
      alreadyOffline: ['not-live'],
      foundByVerify: [],
      verifyRounds: 0,
      requestIds: ['req-1', 'req-2', 'req-3', 'req-4'],
    });
    expect(h.sleeps).toEqual([]);
  });

  it('SID only whose url names no key: permanent error, nothing cut', async () => {
    const api = new FakeAgoraApi();
    const sid = api.startSession({ region: 'na', appId: APP, streamKey: undefined, channel: 'c' });
    const h = harness(api);

    await expect(runTakedown(payload({ sid }), undefined, h.deps)).rejects.toThrow(
      /refusing to disconnect/,
    );
    expect(api.ops()).toEqual(['query-stream']);
    expect(api.liveSids()).toEqual([sid]);
  });

  it('key only: reads the channel from the key and cuts every session of that key, no other', async () => {
    const api = new FakeAgoraApi();
    const first = livePush(api, 'keyK', 'room');
    const second = api.startSession({
      region: 'na',
      appId: APP,
      streamKey: 'keyK',
      channel: 'room',
    });
    const bystander = api.startSession({
      region: 'na',
      appId: APP,
      streamKey: 'other',
      channel: 'room',
    });
    const h = harness(api);

    const result = await runTakedown(payload({ streamKey: 'keyK' }), undefined, h.deps);

    expect(api.ops()).toEqual([
      'query-key',
      'list-streams',
      'delete-key:na',
      'disconnect',
      'disconnect',
      'list-streams',
    ]);
    expect(api.calls[1]).toMatchObject({ op: 'list-streams', channel: 'room' });
    expect(result).toMatchObject({ outcome: 'taken-down', disconnected: [first, second] });
    expect(api.liveSids()).toEqual([bystander]);
  });

  it('key only with a given channel skips the key query', async () => {
    const api = new FakeAgoraApi();
    livePush(api, 'keyK', 'room');
    const h = harness(api);

    await runTakedown(payload({ streamKey: 'keyK', channel: 'room' }), undefined, h.deps);

    expect(api.ops()[0]).toBe('list-streams');
    expect(api.calls[0]).toMatchObject({ channel: 'room' });
  });

  it('key only, unknown key: lists the whole app and region, keeps sessions still pushing with it', async () => {
    const api = new FakeAgoraApi();
    // A key already deleted (or script-generated) whose push is still running elsewhere.
    const sid = api.startSession({ region: 'na', appId: APP, streamKey: 'ghost', channel: 'x' });
    const h = harness(api);

    const result = await runTakedown(payload({ streamKey: 'ghost' }), undefined, h.deps);

    expect(api.calls[1]).toEqual({ op: 'list-streams', region: 'na', appId: APP });
    expect(result).toMatchObject({
      outcome: 'taken-down',
      revoked: { na: 'not-found' },
      disconnected: [sid],
    });
  });

  it('key only, neither key nor sessions exist: nothing-found', async () => {
    const api = new FakeAgoraApi();
    const h = harness(api);

    const result = await runTakedown(payload({ streamKey: 'nope' }), undefined, h.deps);

    expect(result).toMatchObject({
      outcome: 'nothing-found',
      revoked: { na: 'not-found' },
      disconnected: [],
      alreadyOffline: [],
    });
  });

  it("key and SID: no resolve call; verify cuts the key's other live sessions", async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api, 'keyB', 'ch');
    const other = api.startSession({ region: 'na', appId: APP, streamKey: 'keyB', channel: 'ch' });
    const h = harness(api);

    const result = await runTakedown(payload({ sid, streamKey: 'keyB' }), undefined, h.deps);

    // Resolve checks the SID's key (both given); verify finds the other session after the revocation.
    expect(api.ops()).toEqual([
      'query-stream',
      'delete-key:na',
      'disconnect',
      'list-streams',
      'disconnect',
      'list-streams',
    ]);
    // The channel learned from the stream scopes the listing.
    expect(api.calls[3]).toEqual({ op: 'list-streams', region: 'na', appId: APP, channel: 'ch' });
    expect(result).toMatchObject({
      outcome: 'taken-down',
      disconnected: [sid, other],
      foundByVerify: [other],
      verifyRounds: 2,
    });
    expect(api.liveSids()).toEqual([]);
  });

  it('key only, key exists but nothing live: taken-down (the key was revoked)', async () => {
    const api = new FakeAgoraApi();
    api.addKey({ region: 'na', appId: APP, streamKey: 'idle', channel: 'c' });
    const h = harness(api);

    const result = await runTakedown(payload({ streamKey: 'idle' }), undefined, h.deps);

    expect(result).toMatchObject({
      outcome: 'taken-down',
      revoked: { na: 'deleted' },
      disconnected: [],
    });
  });
});

describe('runTakedown verify', () => {
  it('catches a session that slipped in and cuts it too', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api);
    let slipped = '';
    // The 1st list call is verify's first round (key and SID given: resolve lists nothing): a push
    // that raced the revocation is live by then.
    api.beforeList = (n) => {
      if (n === 1)
        slipped = api.startSession({
          region: 'na',
          appId: APP,
          streamKey: 'keyA',
          channel: 'chan1',
        });
    };

    const result = await runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps);

    expect(result).toMatchObject({
      outcome: 'taken-down',
      disconnected: [sid, slipped],
      foundByVerify: [slipped],
      verifyRounds: 2,
    });
    expect(api.liveSids()).toEqual([]);
    expect(h.sleeps).toEqual([2000, 2000]);
  });

  it('gives up after maxRounds with a retryable VerifyFailedError, and a retry verifies afresh', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api, { verify: { maxRounds: 3, delayMs: 50 } });
    api.beforeList = () => {
      api.startSession({ region: 'na', appId: APP, streamKey: 'keyA', channel: 'chan1' });
    };
    const p = payload({ sid, streamKey: 'keyA' });

    const error: unknown = await runTakedown(p, undefined, h.deps).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(VerifyFailedError);
    expect(error).toBeInstanceOf(RetryableJobError);
    expect((error as VerifyFailedError).retryable).toBe(true);
    expect(h.sleeps).toEqual([50, 50, 50]);
    const stored = h.stored();
    expect(stored).toMatchObject({ step: 'verify', verifyRounds: 3 });
    expect(stored?.foundByVerify).toHaveLength(3);
    expect(api.liveSids()).toEqual([]); // the last round's session was cut before giving up

    api.beforeList = undefined;
    const result = await runTakedown(p, stored, h.deps);
    expect(result.verifyRounds).toBe(4);
    expect(api.ops().filter((op) => op.startsWith('delete-key'))).toHaveLength(1);
  });

  it('is skipped when disabled', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const h = harness(api, { verify: { enabled: false } });

    const result = await runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps);

    expect(api.ops()).toEqual(['query-stream', 'delete-key:na', 'disconnect']);
    expect(result.verifyRounds).toBe(0);
    expect(h.sleeps).toEqual([]);
  });
});

describe('runTakedown cancellation', () => {
  it('an aborted signal stops before the next step with a retryable error', async () => {
    const api = new FakeAgoraApi();
    const sid = livePush(api);
    const controller = new AbortController();
    const h = harness(api, { signal: controller.signal });
    h.deps.onStep = (step) => {
      if (step === 'revoke-key') controller.abort(new Error('shutting down'));
    };

    await expect(
      runTakedown(payload({ sid, streamKey: 'keyA' }), undefined, h.deps),
    ).rejects.toBeInstanceOf(RetryableJobError);
    expect(api.ops()).toEqual(['query-stream', 'delete-key:na']);
    expect(h.stored()?.step).toBe('disconnect');
  });
});

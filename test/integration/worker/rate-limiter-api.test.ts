import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { AgoraHttpError, createAgoraClient } from '../../../src/agora/index.js';
import type { AgoraApi, CallClass, Region } from '../../../src/agora/index.js';
import { createSimulator, createSimulatorAdmin } from '../../../src/simulator/index.js';
import type { CallLogEntry } from '../../../src/simulator/index.js';
import { RateLimitBusyError } from '../../../src/worker/rate-limit-busy-error.js';
import { withRateLimit } from '../../../src/worker/rate-limited-api.js';
import { createRateLimiter, type RateLimits } from '../../../src/worker/rate-limiter.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

const region: Region = 'na';
const auth = { scheme: 'basic' as const, customerId: 'cust', customerSecret: 'secret-for-tests' };

async function startSimulator(deleteRps: number) {
  const sim = await createSimulator({
    deleteRps,
    createRps: 0,
    queryRps: 0,
    customerId: auth.customerId,
    customerSecret: auth.customerSecret,
  });
  closers.push(() => sim.close());
  return { sim, admin: createSimulatorAdmin(sim.url) };
}

function client(url: string): AgoraApi {
  const c = createAgoraClient({ baseUrl: url, auth, timeoutMs: 5000 });
  closers.push(() => c.close());
  return c;
}

/**
 * A "worker process": its own Redis connection and limiter on the shared prefix. These tests are
 * about waiting for slots, so the hold budget is long unless a test is about parking.
 */
function limiterProcess(prefix: string, limits: RateLimits, maxHoldMs = 5000) {
  const redis = new Redis(redisUrl());
  closers.push(() => redis.quit());
  const limiter = createRateLimiter({
    redis,
    prefix,
    limits,
    maxHoldMs,
  });
  closers.push(() => limiter.close());
  return limiter;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

const isDelete = (c: CallLogEntry) => c.op === 'delete-key' || c.op === 'disconnect';

describe('withRateLimit against the simulator', () => {
  it('two limited clients in step with the simulator limit: zero 429s at ≥ 0.9 L', async () => {
    const L = 40;
    const { sim, admin } = await startSimulator(L);
    const appId = 'app1';
    const seeded = await admin.seed({ appId, region, count: 2 * L, reconnect: false });

    // Control: the same burst without the limiter trips the simulator (the check below can fail).
    const control = await admin.seed({ appId: 'control', region, count: 2 * L, reconnect: false });
    const raw = client(sim.url);
    const blasted = await Promise.allSettled(
      control.map((s) => raw.deleteStreamKey({ region, appId: 'control', streamKey: s.streamKey })),
    );
    expect(
      blasted.some((r) => r.status === 'rejected' && (r.reason as AgoraHttpError).status === 429),
    ).toBe(true);

    const prefix = uniquePrefix('rlapi');
    const limits = { create: 0, delete: L, query: 0 };
    const halves = [seeded.slice(0, L), seeded.slice(L)];
    const since = (await admin.calls()).at(-1)?.seq ?? 0;
    const started = Date.now();
    await Promise.all(
      halves.map(async (streams) => {
        const api = withRateLimit(client(sim.url), limiterProcess(prefix, limits));
        // Concurrency 20 per process, each takedown: revoke the key, then disconnect.
        await pool(streams, 20, async (s) => {
          await api.deleteStreamKey({ region, appId, streamKey: s.streamKey });
          await api.disconnectStream({ region, appId, sid: s.sid });
        });
      }),
    );
    const elapsedMs = Date.now() - started;

    const calls = (await admin.calls(since)).filter((c) => c.appId === appId && isDelete(c));
    expect(calls).toHaveLength(4 * L);
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    expect(new Set(calls.map((c) => c.status))).toEqual(new Set([200]));

    const first = calls[0]?.time ?? 0;
    const last = calls.at(-1)?.time ?? 0;
    const rate = ((calls.length - 1) * 1000) / (last - first);
    expect(rate).toBeGreaterThanOrEqual(0.9 * L);
    expect(rate).toBeLessThanOrEqual(1.1 * L);
    expect(elapsedMs).toBeLessThan(((4 * L) / L) * 1000 * 1.3);
  });

  it('a 429 slows that App ID down for every limiter, and the error is rethrown', async () => {
    const { sim, admin } = await startSimulator(2); // 2/s: the third call in a burst gets 429
    const prefix = uniquePrefix('rlapi');
    const limits = { create: 0, delete: 1000, query: 0 };
    const waits: Array<[string, CallClass, number]> = [];
    const api = withRateLimit(client(sim.url), limiterProcess(prefix, limits), {
      penaltyMs: 1200,
      onWait: (appId, cls, waitedMs) => waits.push([appId, cls, waitedMs]),
    });
    const other = limiterProcess(prefix, limits);

    const ref = { region, appId: 'app1', streamKey: 'unknown-key' };
    await expect(api.deleteStreamKey(ref)).resolves.toMatchObject({ result: 'not-found' });
    await expect(api.deleteStreamKey(ref)).resolves.toMatchObject({ result: 'not-found' });
    const err: unknown = await api.deleteStreamKey(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect((err as AgoraHttpError).status).toBe(429);

    // The other process sees the penalty too; another App ID does not.
    const state = await other.state();
    expect(state).toEqual([
      { appId: 'app1', cls: 'delete', backlogMs: expect.any(Number) as number },
    ]);
    expect(state[0]?.backlogMs).toBeGreaterThan(1000);

    const t0 = Date.now();
    await expect(api.deleteStreamKey(ref)).resolves.toMatchObject({ result: 'not-found' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(waits.at(-1)?.[2]).toBeGreaterThanOrEqual(1000);

    const t1 = Date.now();
    await api.deleteStreamKey({ ...ref, appId: 'app2' });
    expect(Date.now() - t1).toBeLessThan(500);

    const statuses = (await admin.calls()).map((c) => c.status);
    expect(statuses).toEqual([404, 404, 429, 404, 404]);
  });
});

describe('withRateLimit call mapping', () => {
  function recordingApi(log: string[]): AgoraApi {
    const answered = { requestId: 'r' };
    return {
      createStreamKey: (input) => {
        log.push(`create-key:${input.appId}`);
        return Promise.resolve({
          ...answered,
          key: { streamKey: 'k', channel: 'c', uid: '1', expiresAfter: 0, createdAt: '0' },
        });
      },
      queryStreamKey: (ref) => {
        log.push(`query-key:${ref.appId}`);
        return Promise.resolve({ ...answered, result: 'not-found' });
      },
      deleteStreamKey: (ref) => {
        log.push(`delete-key:${ref.appId}`);
        return Promise.resolve({ ...answered, result: 'deleted' });
      },
      listOnlineStreams: (ref) => {
        log.push(`list-streams:${ref.appId}`);
        return Promise.resolve({ ...answered, streams: [] });
      },
      queryOnlineStream: (ref) => {
        log.push(`query-stream:${ref.appId}`);
        return Promise.resolve({ ...answered, result: 'not-found' });
      },
      disconnectStream: (ref) => {
        log.push(`disconnect:${ref.appId}`);
        return Promise.resolve({ ...answered, result: 'disconnected' });
      },
    };
  }

  it('acquires the right App ID and call class for every operation', async () => {
    const log: string[] = [];
    const waits: string[] = [];
    const limiter = limiterProcess(uniquePrefix('rlapi'), { create: 100, delete: 100, query: 100 });
    const api = withRateLimit(recordingApi(log), limiter, {
      onWait: (appId, cls) => waits.push(`${cls}:${appId}`),
    });
    await api.createStreamKey({ region, appId: 'a1', channel: 'c', uid: '1', expiresAfter: 0 });
    await api.queryStreamKey({ region, appId: 'a2', streamKey: 'k' });
    await api.deleteStreamKey({ region, appId: 'a3', streamKey: 'k' });
    await api.listOnlineStreams({ region, appId: 'a4' });
    await api.queryOnlineStream({ region, appId: 'a5', sid: 's' });
    await api.disconnectStream({ region, appId: 'a6', sid: 's' });

    expect(waits).toEqual([
      'create:a1',
      'query:a2',
      'delete:a3',
      'query:a4',
      'query:a5',
      'delete:a6',
    ]);
    expect(log).toEqual([
      'create-key:a1',
      'query-key:a2',
      'delete-key:a3',
      'list-streams:a4',
      'query-stream:a5',
      'disconnect:a6',
    ]);
    expect((await limiter.state()).map((s) => `${s.cls}:${s.appId}`)).toEqual([
      'create:a1',
      'query:a2',
      'delete:a3',
      'query:a4',
      'query:a5',
      'delete:a6',
    ]);
  });

  it('makes no call when the limiter refuses (busy) or the signal is aborted', async () => {
    const log: string[] = [];
    const limiter = limiterProcess(uniquePrefix('rlapi'), { create: 0, delete: 10, query: 0 }, 200);
    const api = withRateLimit(recordingApi(log), limiter);
    await limiter.penalize('a1', 'delete', 3000);

    await expect(api.disconnectStream({ region, appId: 'a1', sid: 's' })).rejects.toBeInstanceOf(
      RateLimitBusyError,
    );
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    ac.abort(new Error('shutting down'));
    await expect(
      api.queryStreamKey({ region, appId: 'a1', streamKey: 'k' }, { signal: ac.signal }),
    ).rejects.toThrow('shutting down');
    expect(log).toEqual([]);
  });
});

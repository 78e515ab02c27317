import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, apiPath, createKey, useSimulators } from './sim-http.js';

const start = useSimulators();

describe('simulator: admin API', () => {
  it('logs API calls in arrival order with their fields, and not admin calls', async () => {
    const { sim, admin } = await start();
    const t0 = Date.now();
    const key = await createKey(sim, 'na', 'app1');
    const sid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });
    const id = randomUUID();
    await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`), {
      headers: { 'x-request-id': id },
    });
    await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
    await api(sim, 'GET', apiPath('eu', 'app1', 'online-streams?channel=ch1'));
    await api(sim, 'GET', '/nowhere');
    await admin.stats();

    const calls = await admin.calls();
    expect(calls.map((c) => [c.seq, c.method, c.op, c.status])).toEqual([
      [1, 'POST', 'create-key', 200],
      [2, 'DELETE', 'delete-key', 200],
      [3, 'DELETE', 'disconnect', 200],
      [4, 'GET', 'list-streams', 200],
      [5, 'GET', 'unknown', 404],
    ]);
    expect(calls[1]).toMatchObject({
      path: `/na/v1/projects/app1/rtls/ingress/streamkeys/${key.streamKey}`,
      appId: 'app1',
      region: 'na',
      streamKey: key.streamKey,
      requestId: id,
    });
    expect(calls[1]?.sid).toBeUndefined();
    expect(calls[2]).toMatchObject({ sid, region: 'na', appId: 'app1' });
    expect(calls[3]).toMatchObject({
      region: 'eu',
      path: '/eu/v1/projects/app1/rtls/ingress/online-streams?channel=ch1',
    });
    for (const c of calls) {
      expect(c.time).toBeGreaterThanOrEqual(t0);
      expect(c.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect((await admin.calls(3)).map((c) => c.seq)).toEqual([4, 5]);
    expect(await admin.calls(5)).toEqual([]);
  });

  it('seeds keys with live streams, distinct channels by default or one channel with distinct uids', async () => {
    const { sim, admin } = await start();
    const seeded = await admin.seed({ appId: 'app1', region: 'na', count: 3 });
    expect(new Set(seeded.map((s) => s.channel)).size).toBe(3);
    const shared = await admin.seed({ appId: 'app1', region: 'na', count: 3, channel: 'room' });
    expect(shared.every((s) => s.channel === 'room')).toBe(true);
    expect(new Set(shared.map((s) => s.uid)).size).toBe(3);

    const streams = await admin.streams({ appId: 'app1', region: 'na' });
    expect(streams.map((s) => s.sid).sort()).toEqual(
      [...seeded, ...shared].map((s) => s.sid).sort(),
    );
    const keys = await admin.keys({ appId: 'app1' });
    expect(keys).toHaveLength(6);
    expect(keys.every((k) => !k.revoked && !k.expired && k.expiresAfter === 0)).toBe(true);
    // Seeded keys are real keys: the API finds them.
    const q = await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${seeded[0]?.streamKey}`));
    expect(q.status).toBe(200);
    // Seeding and admin reads are not API calls: only the query is logged.
    expect((await admin.calls()).map((c) => c.op)).toEqual(['query-key']);
  });

  it('filters streams and keys by app, region, key and channel', async () => {
    const { admin } = await start();
    const [a] = await admin.seed({ appId: 'app1', region: 'na', count: 1, channel: 'x' });
    const [b] = await admin.seed({ appId: 'app1', region: 'eu', count: 1 });
    const [c] = await admin.seed({ appId: 'app2', region: 'na', count: 1 });
    expect((await admin.streams({ region: 'na' })).map((s) => s.sid).sort()).toEqual(
      [a?.sid, c?.sid].sort(),
    );
    expect((await admin.streams({ appId: 'app1', region: 'eu' })).map((s) => s.sid)).toEqual([
      b?.sid,
    ]);
    expect((await admin.streams({ streamKey: c?.streamKey ?? '' })).map((s) => s.sid)).toEqual([
      c?.sid,
    ]);
    expect((await admin.streams({ channel: 'x' })).map((s) => s.sid)).toEqual([a?.sid]);
    expect((await admin.keys({ appId: 'app2', region: 'na' })).map((k) => k.streamKey)).toEqual([
      c?.streamKey,
    ]);
    const [stream] = await admin.streams({ streamKey: a?.streamKey ?? '' });
    expect(stream).toMatchObject({
      appId: 'app1',
      region: 'na',
      url: `rtls-ingress-prod-na.agoramdn.com/live/${a?.streamKey}`,
    });
    expect(typeof stream?.startedAt).toBe('number');
  });

  it('seeds thousands of streams quickly and serves the list', async () => {
    const { sim, admin } = await start();
    const t = Date.now();
    await admin.seed({ appId: 'bulk', region: 'na', count: 5000 });
    const res = await api(sim, 'GET', apiPath('na', 'bulk', 'online-streams'));
    expect((res.body.data as unknown[]).length).toBe(5000);
    expect(Date.now() - t).toBeLessThan(5000);
    expect((await admin.stats()).liveStreams).toBe(5000);
  });

  it('reset clears state, calls, faults and buckets and keeps or overrides limits', async () => {
    const { sim, admin } = await start({ deleteRps: 1, latencyMs: 0, reconnectDelayMs: 100_000 });
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1 });
    await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${s?.sid}`));
    expect((await admin.stats()).pendingReconnects).toBe(1);
    expect((await api(sim, 'DELETE', apiPath('na', 'app1', 'streamkeys/x'))).status).toBe(429);
    await admin.setFaults({ errorRate: 1, rules: [{ status: 500 }], outageMs: 60_000 });

    await admin.reset();
    expect(await admin.stats()).toEqual({
      liveStreams: 0,
      keys: 0,
      revokedKeys: 0,
      encoders: 0,
      pendingReconnects: 0,
      reconnects: 0,
      refusedReconnects: 0,
      calls: 0,
      timeouts: 0,
      byStatus: {},
    });
    expect(await admin.calls()).toEqual([]);
    expect(await admin.faults()).toMatchObject({ errorRate: 0, rules: [], outageRemainingMs: 0 });
    expect(await admin.limits()).toEqual({ createRps: 50, deleteRps: 1, queryRps: 100 });
    expect((await api(sim, 'DELETE', apiPath('na', 'app1', 'streamkeys/x'))).status).toBe(404);
    expect((await admin.calls())[0]?.seq).toBe(1);

    await admin.reset({ deleteRps: 7, reconnectDelayMs: 5 });
    expect(await admin.limits()).toEqual({ createRps: 50, deleteRps: 7, queryRps: 100 });
    expect((await admin.config()).reconnectDelayMs).toBe(5);
    await admin.reset();
    expect(await admin.config()).toEqual({ reconnectDelayMs: 100_000, sidQueryShape: 'array' });
  });

  it('reports stats by status', async () => {
    const { sim, admin } = await start();
    const key = await createKey(sim, 'na', 'app1');
    await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'), {
      headers: { authorization: 'Basic eA==' },
    });
    expect(await admin.stats()).toMatchObject({
      keys: 0,
      revokedKeys: 1,
      calls: 4,
      byStatus: { '200': 2, '404': 1, '401': 1 },
    });
  });

  it('answers 400 naming the field for bad admin input, and 404 for unknown admin paths', async () => {
    const { sim, admin } = await start();
    await expect(admin.seed({ appId: 'a', region: 'xx' as never, count: 1 })).rejects.toMatchObject(
      {
        status: 400,
        message: expect.stringContaining('region') as unknown,
      },
    );
    await expect(admin.seed({ appId: 'a', region: 'na', count: 0 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('count') as unknown,
    });
    await expect(admin.setLimits({ deleteRps: -1 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('deleteRps') as unknown,
    });
    await expect(
      admin.startEncoder({ appId: '', region: 'na', streamKey: 'k' }),
    ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('appId') as unknown });
    const res = await fetch(`${sim.url}/_sim/nope`);
    expect(res.status).toBe(404);
    const badJson = await fetch(`${sim.url}/_sim/faults`, { method: 'PUT', body: '{x' });
    expect(badJson.status).toBe(400);
  });
});

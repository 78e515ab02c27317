import { describe, expect, it } from 'vitest';
import { SimulatorAdminError } from '../../support/sim-admin.js';
import { api, apiPath, createKey, sleep, useSimulators, waitFor } from './sim-http.js';

const start = useSimulators();

describe('simulator: encoders and the reconnect race', () => {
  it('reconnects with a new SID after a disconnect while the key still exists', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 50 });
    const key = await createKey(sim, 'na', 'app1');
    const sid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });

    const t0 = Date.now();
    const res = await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
    expect(res.status).toBe(200);
    expect(await admin.streams({ streamKey: key.streamKey })).toEqual([]);

    const [next] = await waitFor(async () => {
      const s = await admin.streams({ streamKey: key.streamKey });
      return s.length > 0 ? s : undefined;
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(next?.sid).not.toBe(sid);
    expect(next).toMatchObject({ appId: 'app1', region: 'na', channel: key.channel, uid: key.uid });
    const listed = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect((listed.body.data as { sid: string }[]).map((s) => s.sid)).toEqual([next?.sid]);
    expect(await admin.stats()).toMatchObject({
      reconnects: 1,
      refusedReconnects: 0,
      liveStreams: 1,
    });
  });

  it('stays down when the key was revoked before the disconnect', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 30 });
    const key = await createKey(sim, 'na', 'app1');
    const sid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });

    expect(
      (await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`))).status,
    ).toBe(200);
    // Revoking alone does not stop the running push.
    expect((await admin.streams()).map((s) => s.sid)).toEqual([sid]);
    expect((await api(sim, 'GET', apiPath('na', 'app1', `online-streams/${sid}`))).status).toBe(
      200,
    );

    expect((await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`))).status).toBe(
      200,
    );
    await waitFor(async () => ((await admin.stats()).refusedReconnects === 1 ? true : undefined));
    await sleep(60);
    expect(await admin.streams()).toEqual([]);
    expect(await admin.stats()).toMatchObject({
      reconnects: 0,
      refusedReconnects: 1,
      liveStreams: 0,
    });
    expect(await admin.keys()).toMatchObject([{ streamKey: key.streamKey, revoked: true }]);
  });

  it('refuses the reconnect when the key was revoked during the reconnect delay', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 150 });
    const key = await createKey(sim, 'na', 'app1');
    const sid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });
    await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
    await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    await waitFor(async () => ((await admin.stats()).refusedReconnects === 1 ? true : undefined));
    expect(await admin.streams()).toEqual([]);
  });

  it('keeps an encoder with reconnect off down after a disconnect', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 10 });
    const key = await createKey(sim, 'na', 'app1');
    const sid = await admin.startEncoder({
      appId: 'app1',
      region: 'na',
      streamKey: key.streamKey,
      reconnect: false,
    });
    await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
    await sleep(60);
    expect(await admin.streams()).toEqual([]);
    expect(await admin.stats()).toMatchObject({ reconnects: 0, encoders: 0 });
  });

  it('refuses a push on an expired key but keeps a push that started before expiry', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 10 });
    const key = await createKey(sim, 'na', 'app1', { channel: 'c', uid: '5', expiresAfter: 1 });
    const sid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });
    await sleep(1100);
    const refused = admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey });
    await expect(refused).rejects.toBeInstanceOf(SimulatorAdminError);
    await expect(refused).rejects.toMatchObject({ status: 403 });
    expect((await admin.streams()).map((s) => s.sid)).toEqual([sid]);
    expect((await admin.keys())[0]).toMatchObject({ expired: true, revoked: false });

    // And the running push, once disconnected, cannot come back.
    await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
    await waitFor(async () => ((await admin.stats()).refusedReconnects === 1 ? true : undefined));
    expect(await admin.streams()).toEqual([]);
  });

  it('refuses a push on an unknown key, a revoked key, or a key of another app', async () => {
    const { sim, admin } = await start();
    const key = await createKey(sim, 'na', 'app1');
    await expect(
      admin.startEncoder({ appId: 'app1', region: 'na', streamKey: 'nope' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      admin.startEncoder({ appId: 'app2', region: 'na', streamKey: key.streamKey }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      admin.startEncoder({ appId: 'app1', region: 'eu', streamKey: key.streamKey }),
    ).rejects.toMatchObject({ status: 404 });
    await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    await expect(
      admin.startEncoder({ appId: 'app1', region: 'na', streamKey: key.streamKey }),
    ).rejects.toMatchObject({ status: 403 });
    expect(await admin.streams()).toEqual([]);
  });

  it('reconnects again after every disconnect while the key lives', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 10 });
    const [seeded] = await admin.seed({ appId: 'app1', region: 'na', count: 1 });
    const seen = new Set<string>([seeded?.sid ?? '']);
    let sid = seeded?.sid ?? '';
    for (let i = 0; i < 3; i += 1) {
      await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${sid}`));
      const [next] = await waitFor(async () => {
        const s = await admin.streams();
        return s.length > 0 ? s : undefined;
      });
      sid = next?.sid ?? '';
      expect(seen.has(sid)).toBe(false);
      seen.add(sid);
    }
    expect((await admin.stats()).reconnects).toBe(3);
  });
});
